#include "atomic_file.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkstemp makes the file 0600; a finished output should get the mode any
 * new file gets (0666 less the umask). umask can only be read by setting
 * it, so that happens once, before any worker thread writes. */
static mode_t file_mode = 0644;
static pthread_once_t file_mode_once = PTHREAD_ONCE_INIT;

static void read_umask(void)
{
    mode_t mask = umask(022);
    umask(mask);
    file_mode = 0666 & ~mask;
}

static void release(struct imp_atomic_file *af)
{
    free(af->final_path);
    free(af->temp_path);
    memset(af, 0, sizeof *af);
}

int imp_atomic_open(const char *path, struct imp_atomic_file *af, char *why,
                    size_t why_size)
{
    pthread_once(&file_mode_once, read_umask);
    memset(af, 0, sizeof *af);
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *name = path + dir_len;
    if (!*name) {
        snprintf(why, why_size, "a file name is needed, not a folder");
        return -1;
    }
    size_t len = strlen(path) + 16;
    af->final_path = malloc(strlen(path) + 1);
    af->temp_path = malloc(len);
    if (!af->final_path || !af->temp_path) {
        release(af);
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    strcpy(af->final_path, path);
    snprintf(af->temp_path, len, "%.*s.%s.XXXXXX", (int)dir_len, path, name);
    int fd = mkstemp(af->temp_path);
    if (fd < 0) {
        snprintf(why, why_size, "cannot create a file there: %s", strerror(errno));
        release(af);
        return -1;
    }
    af->file = fdopen(fd, "wb");
    if (!af->file) {
        snprintf(why, why_size, "%s", strerror(errno));
        close(fd);
        unlink(af->temp_path);
        release(af);
        return -1;
    }
    return 0;
}

int imp_atomic_close(struct imp_atomic_file *af, char *why, size_t why_size)
{
    int fd = fileno(af->file);
    int bad = fflush(af->file) != 0 || ferror(af->file) || fchmod(fd, file_mode) != 0;
    int err = errno;
    if (fclose(af->file) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    af->file = NULL;
    if (bad) {
        snprintf(why, why_size, "cannot write: %s", strerror(err));
        unlink(af->temp_path);
        release(af);
        return -1;
    }
    return 0;
}

/* The rename alone, after imp_atomic_close. */
static int rename_closed(struct imp_atomic_file *af, char *why, size_t why_size)
{
    if (!af->temp_path) {
        snprintf(why, why_size, "nothing was written");
        return -1;
    }
    int rc = rename(af->temp_path, af->final_path);
    if (rc != 0) {
        snprintf(why, why_size, "cannot write: %s", strerror(errno));
        unlink(af->temp_path);
    }
    release(af);
    return rc != 0 ? -1 : 0;
}

int imp_atomic_commit(struct imp_atomic_file *af, char *why, size_t why_size)
{
    if (af->file && imp_atomic_close(af, why, why_size) != 0)
        return -1;
    return rename_closed(af, why, why_size);
}

void imp_atomic_abandon(struct imp_atomic_file *af)
{
    if (af->file)
        fclose(af->file);
    if (af->temp_path)
        unlink(af->temp_path);
    release(af);
}
