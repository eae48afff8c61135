#include "train/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

struct parser {
    const char *s;
    size_t len, at;
    char *err;
    size_t errsz;
    int failed;
};

static void fail(struct parser *p, const char *what)
{
    if (!p->failed)
        snprintf(p->err, p->errsz, "%s at byte %zu", what, p->at);
    p->failed = 1;
}

static void skip_space(struct parser *p)
{
    while (p->at < p->len && (p->s[p->at] == ' ' || p->s[p->at] == '\n' ||
                              p->s[p->at] == '\r' || p->s[p->at] == '\t'))
        p->at++;
}

static void release(struct json *j)
{
    if (!j)
        return;
    free(j->string);
    for (int i = 0; i < j->n; i++) {
        release(&j->items[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    memset(j, 0, sizeof *j);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static char *parse_string(struct parser *p)
{
    if (p->at >= p->len || p->s[p->at] != '"') {
        fail(p, "expected a string");
        return NULL;
    }
    p->at++;
    size_t cap = 16, n = 0;
    char *out = malloc(cap);
    while (out) {
        if (p->at >= p->len) {
            fail(p, "unterminated string");
            break;
        }
        unsigned char c = (unsigned char)p->s[p->at++];
        if (c == '"') {
            out[n] = '\0';
            return out;
        }
        if (c < 0x20) {
            fail(p, "control character in a string");
            break;
        }
        char buf[4];
        int bn = 1;
        buf[0] = (char)c;
        if (c == '\\') {
            if (p->at >= p->len) {
                fail(p, "unterminated escape");
                break;
            }
            char e = p->s[p->at++];
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            const char *k = strchr(from, e);
            if (e && k) {
                buf[0] = to[k - from];
            } else if (e == 'u' && p->at + 4 <= p->len) {
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hexval(p->s[p->at + (size_t)i]);
                    if (h < 0) {
                        fail(p, "bad \\u escape");
                        break;
                    }
                    v = v * 16 + (unsigned)h;
                }
                p->at += 4;
                if (p->failed)
                    break;
                if (v == 0) {
                    fail(p, "NUL in a string");
                    break;
                }
                /* UTF-8 of one BMP code point (surrogates kept as they are) */
                if (v < 0x80) {
                    buf[0] = (char)v;
                } else if (v < 0x800) {
                    buf[0] = (char)(0xC0 | (v >> 6));
                    buf[1] = (char)(0x80 | (v & 0x3F));
                    bn = 2;
                } else {
                    buf[0] = (char)(0xE0 | (v >> 12));
                    buf[1] = (char)(0x80 | ((v >> 6) & 0x3F));
                    buf[2] = (char)(0x80 | (v & 0x3F));
                    bn = 3;
                }
            } else {
                fail(p, "bad escape");
                break;
            }
        }
        if (n + (size_t)bn + 1 > cap) {
            cap *= 2;
            char *grown = realloc(out, cap);
            if (!grown) {
                free(out);
                out = NULL;
                break;
            }
            out = grown;
        }
        memcpy(out + n, buf, (size_t)bn);
        n += (size_t)bn;
    }
    if (!out)
        fail(p, "out of memory");
    free(out);
    return NULL;
}

static int parse_value(struct parser *p, struct json *j, int depth);

/* Appends one slot to an array or object; returns it or NULL. */
static struct json *grow(struct parser *p, struct json *j, int with_keys)
{
    if (j->n >= 1 << 20) {
        fail(p, "too many items");
        return NULL;
    }
    struct json *items = realloc(j->items, sizeof *items * (size_t)(j->n + 1));
    if (!items) {
        fail(p, "out of memory");
        return NULL;
    }
    j->items = items;
    if (with_keys) {
        char **keys = realloc(j->keys, sizeof *keys * (size_t)(j->n + 1));
        if (!keys) {
            fail(p, "out of memory");
            return NULL;
        }
        j->keys = keys;
        j->keys[j->n] = NULL;
    }
    memset(&j->items[j->n], 0, sizeof *items);
    return &j->items[j->n++];
}

static int parse_container(struct parser *p, struct json *j, int depth, int object)
{
    j->type = object ? JSON_OBJECT : JSON_ARRAY;
    char close = object ? '}' : ']';
    p->at++;
    skip_space(p);
    if (p->at < p->len && p->s[p->at] == close) {
        p->at++;
        return 0;
    }
    for (;;) {
        skip_space(p);
        char *key = NULL;
        if (object) {
            key = parse_string(p);
            if (!key)
                return -1;
            skip_space(p);
            if (p->at >= p->len || p->s[p->at] != ':') {
                free(key);
                fail(p, "expected ':'");
                return -1;
            }
            p->at++;
        }
        struct json *slot = grow(p, j, object);
        if (!slot) {
            free(key);
            return -1;
        }
        if (object)
            j->keys[j->n - 1] = key;
        if (parse_value(p, slot, depth + 1) != 0)
            return -1;
        skip_space(p);
        if (p->at < p->len && p->s[p->at] == ',') {
            p->at++;
            continue;
        }
        if (p->at < p->len && p->s[p->at] == close) {
            p->at++;
            return 0;
        }
        fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
        return -1;
    }
}

static int parse_value(struct parser *p, struct json *j, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        fail(p, "nested too deeply");
        return -1;
    }
    skip_space(p);
    if (p->at >= p->len) {
        fail(p, "unexpected end");
        return -1;
    }
    char c = p->s[p->at];
    if (c == '{' || c == '[')
        return parse_container(p, j, depth, c == '{');
    if (c == '"') {
        j->type = JSON_STRING;
        j->string = parse_string(p);
        return j->string ? 0 : -1;
    }
    static const struct { const char *word; enum json_type t; double v; } words[] = {
        {"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0}};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i].word);
        if (p->len - p->at >= n && memcmp(p->s + p->at, words[i].word, n) == 0) {
            p->at += n;
            j->type = words[i].t;
            j->number = words[i].v;
            return 0;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char buf[64];
        size_t n = 0;
        while (p->at + n < p->len && n < sizeof buf - 1 &&
               strchr("+-.eE0123456789", p->s[p->at + n]) && p->s[p->at + n])
            n++;
        memcpy(buf, p->s + p->at, n);
        buf[n] = '\0';
        char *end;
        j->number = strtod(buf, &end);
        if (end != buf + n || n == 0 || n == sizeof buf - 1) {
            fail(p, "bad number");
            return -1;
        }
        j->type = JSON_NUMBER;
        p->at += n;
        return 0;
    }
    fail(p, "unexpected character");
    return -1;
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errsz)
{
    struct parser p = {text, len, 0, err, errsz, 0};
    struct json *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    if (parse_value(&p, j, 0) == 0) {
        skip_space(&p);
        if (p.at != p.len)
            fail(&p, "trailing characters");
    }
    if (p.failed) {
        json_free(j);
        return NULL;
    }
    return j;
}

void json_free(struct json *j)
{
    release(j);
    free(j);
}

const struct json *json_get(const struct json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (int i = 0; i < obj->n; i++)
        if (obj->keys[i] && strcmp(obj->keys[i], key) == 0)
            return &obj->items[i];
    return NULL;
}
