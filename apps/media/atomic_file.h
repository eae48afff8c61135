/*
 * Atomic output files: the bytes go to a temporary file beside the final
 * one (same folder, so the rename cannot cross file systems) and are renamed
 * over the final name only when complete. A failure at any point leaves the
 * final name as it was: no half picture, no half array.
 *
 * Writers that open files by name themselves (FFmpeg's muxers, which seek
 * back to finish an mp4) write to temp_path instead of through `file`,
 * then commit or abandon the same way: the temporary file is the one
 * imp_atomic_open made, so its name stays unique and hidden.
 */
#ifndef IMP_APP_ATOMIC_FILE_H
#define IMP_APP_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

struct imp_atomic_file {
    FILE *file;         /* write here */
    char *final_path;   /* malloc'd */
    char *temp_path;    /* malloc'd: "<dir>/.<name>.XXXXXX" */
};

/* Returns 0, or -1 with why (e.g. the folder is not writable). */
int imp_atomic_open(const char *path, struct imp_atomic_file *af, char *why,
                    size_t why_size);
/* Flush and close, keeping the temporary file for a later commit: several
 * outputs are all written before any of them is renamed into place. Returns
 * 0, or -1 with why (the temporary file removed, nothing left to commit). */
int imp_atomic_close(struct imp_atomic_file *af, char *why, size_t why_size);
/* Flush, close (unless imp_atomic_close did) and rename into place. Returns
 * 0, or -1 with why (and the temporary file removed). */
int imp_atomic_commit(struct imp_atomic_file *af, char *why, size_t why_size);
/* Close and remove the temporary file. */
void imp_atomic_abandon(struct imp_atomic_file *af);

#endif
