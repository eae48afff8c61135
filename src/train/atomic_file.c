#include "train/atomic_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

enum imp_status atomic_write(const char *path, const struct atomic_chunk *chunks, int n,
                             struct imp_error *err)
{
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp)
        return imp_fail(err, IMP_ERR_NOMEM, "%s: out of memory", path);
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        enum imp_status st = imp_fail(err, IMP_ERR_IO, "%s: cannot create a temporary file "
                                      "beside it: %s", path, strerror(errno));
        free(tmp);
        return st;
    }
    /* mkstemp makes the file private; give it the mode a plain creat()
     * would have. */
    mode_t mask = umask(0);
    umask(mask);
    int e = fchmod(fd, 0666 & ~mask) != 0 ? errno : 0;
    for (int i = 0; i < n && !e; i++) {
        const char *p = chunks[i].data;
        size_t left = chunks[i].size;
        while (left && !e) {
            ssize_t w = write(fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                e = w < 0 ? errno : ENOSPC;
            else {
                p += w;
                left -= (size_t)w;
            }
        }
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        free(tmp);
        return imp_fail(err, IMP_ERR_IO, "%s: %s (nothing written)", path, strerror(e));
    }
    free(tmp);
    return IMP_OK;
}
