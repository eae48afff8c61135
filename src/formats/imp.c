#include <string.h>

#include "formats/formats.h"

bool imp_imp_probe(const uint8_t *data, size_t size)
{
    return size >= 8 && memcmp(data, "IMPASTO\0", 8) == 0;
}

enum imp_status imp_imp_read(const uint8_t *data, size_t size, bool borrow,
                             struct imp_graph *g, struct imp_error *err)
{
    (void)data, (void)size, (void)borrow, (void)g;
    return imp_fail(err, IMP_ERR_UNSUPPORTED, "imp: reader not written yet");
}

enum imp_status imp_imp_write(const struct imp_graph *g, uint8_t **data,
                              size_t *size, struct imp_error *err)
{
    (void)g, (void)data, (void)size;
    return imp_fail(err, IMP_ERR_UNSUPPORTED, "imp: writer not written yet");
}
