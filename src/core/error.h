/* Errors are values: a status plus one readable line naming what and why. */
#ifndef IMP_ERROR_H
#define IMP_ERROR_H

#include "impasto.h"

#if defined(__GNUC__)
#define IMP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define IMP_PRINTF(a, b)
#endif

/* Fill `err` (may be NULL) and return `status`, so callers can write
 * `return imp_fail(err, IMP_ERR_FORMAT, "node %s: ...", name);`. */
enum imp_status imp_fail(struct imp_error *err, enum imp_status status,
                         const char *fmt, ...) IMP_PRINTF(3, 4);

/* Prefix an existing message with context ("onnx: node 12 (Conv): ..."). */
void imp_error_prefix(struct imp_error *err, const char *fmt, ...)
    IMP_PRINTF(2, 3);

void imp_error_clear(struct imp_error *err);

#endif
