#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum imp_status imp_fail(struct imp_error *err, enum imp_status status,
                         const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void imp_error_prefix(struct imp_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[IMP_ERROR_MAX], old[IMP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    /* prefix + ": " + old, cut to fit */
    size_t n = strlen(prefix);
    if (n > sizeof err->message - 3)
        n = sizeof err->message - 3;
    memcpy(err->message, prefix, n);
    memcpy(err->message + n, ": ", 2);
    size_t room = sizeof err->message - n - 3;
    size_t k = strnlen(old, room);
    memcpy(err->message + n + 2, old, k);
    err->message[n + 2 + k] = '\0';
}

void imp_error_clear(struct imp_error *err)
{
    if (err) {
        err->status = IMP_OK;
        err->message[0] = '\0';
    }
}

const char *imp_status_name(enum imp_status s)
{
    switch (s) {
    case IMP_OK: return "ok";
    case IMP_ERR_IO: return "i/o error";
    case IMP_ERR_FORMAT: return "malformed model";
    case IMP_ERR_UNSUPPORTED: return "unsupported";
    case IMP_ERR_SHAPE: return "shape mismatch";
    case IMP_ERR_ARGUMENT: return "bad argument";
    case IMP_ERR_NOMEM: return "out of memory";
    }
    return "unknown status";
}
