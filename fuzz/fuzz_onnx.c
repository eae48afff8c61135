/* ONNX reader, then the whole load/plan/run pipeline on what it accepts. */
#include "fuzz_common.h"
#include "formats/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct imp_graph g;
    struct imp_error err;
    imp_graph_init(&g);
    imp_error_clear(&err);
    enum imp_status st = imp_onnx_read(data, size, &g, &err);
    imp_fuzz_check_read("onnx", st, &err, &g);
    if (st == IMP_OK)
        imp_fuzz_graph_to_model(&g, data, size);
    return 0;
}
