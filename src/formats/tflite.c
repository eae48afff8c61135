#include <string.h>

#include "formats/formats.h"

bool imp_tflite_probe(const uint8_t *data, size_t size)
{
    return size >= 8 && memcmp(data + 4, "TFL3", 4) == 0;
}

enum imp_status imp_tflite_read(const uint8_t *data, size_t size,
                                struct imp_graph *g, struct imp_error *err)
{
    (void)data, (void)size, (void)g;
    return imp_fail(err, IMP_ERR_UNSUPPORTED, "tflite: reader not written yet");
}
