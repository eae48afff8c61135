/*
 * .imp reader, both ways it is called: copying (borrow=false) from an
 * unaligned buffer, and borrowing from the aligned copy that
 * imp_model_load_buffer keeps (the path real files take).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "formats/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Deliberately misaligned, exactly sized: the copying path must not
     * assume alignment, and ASan sees any read past the end. */
    uint8_t *raw = malloc(size + 1);
    if (!raw)
        return 0;
    uint8_t *copy = raw + 1;
    memcpy(copy, data, size);
    struct imp_graph g;
    struct imp_error err;
    imp_graph_init(&g);
    imp_error_clear(&err);
    (void)imp_imp_probe(copy, size);
    enum imp_status st = imp_imp_read(copy, size, false, &g, &err);
    /* Freed before the graph is used: a constant that kept pointing into
     * the bytes despite borrow=false is a use-after-free ASan reports. */
    free(raw);
    imp_fuzz_check_read("imp", st, &err, &g);
    if (st == IMP_OK)
        imp_fuzz_graph_to_model(&g, data, size);
    if (imp_imp_probe(data, size))
        imp_fuzz_load_buffer(data, size);
    return 0;
}
