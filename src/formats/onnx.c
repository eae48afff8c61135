#include "formats/formats.h"

enum imp_status imp_onnx_read(const uint8_t *data, size_t size,
                              struct imp_graph *g, struct imp_error *err)
{
    (void)data, (void)size, (void)g;
    return imp_fail(err, IMP_ERR_UNSUPPORTED, "onnx: reader not written yet");
}
