/*
 * .imp reader, both ways it is called: copying (borrow=false) from an
 * unaligned buffer, and borrowing from the aligned copy that
 * imp_model_load_buffer keeps (the path real files take). Each input is
 * tried as it is (the checksums reject almost every mutation) and with its
 * checksums recomputed, which is what a crafted file looks like and what
 * lets the fuzzer reach the section and graph parsers.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "formats/formats.h"

static void imp_fuzz_read_copy(const uint8_t *data, size_t size, bool fix)
{
    /* Deliberately misaligned, exactly sized: the copying path must not
     * assume alignment, and ASan sees any read past the end. */
    uint8_t *raw = malloc(size + 1);
    if (!raw)
        return;
    uint8_t *copy = raw + 1;
    memcpy(copy, data, size);
    if (fix)
        imp_fuzz_imp_fix_checksums(copy, size);
    struct imp_graph g;
    struct imp_error err;
    imp_graph_init(&g);
    imp_error_clear(&err);
    (void)imp_imp_probe(copy, size);
    enum imp_status st = imp_imp_read(copy, size, false, &g, &err);
    bool probed = imp_imp_probe(copy, size);
    uint8_t *fixed = NULL;
    if (fix && probed && (fixed = malloc(size)) != NULL)
        memcpy(fixed, copy, size);
    /* Freed before the graph is used: a constant that kept pointing into
     * the bytes despite borrow=false is a use-after-free ASan reports. */
    free(raw);
    imp_fuzz_check_read("imp", st, &err, &g);
    if (st == IMP_OK)
        imp_fuzz_graph_to_model(&g, data, size);
    if (fixed) {
        imp_fuzz_load_buffer(fixed, size);
        free(fixed);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    imp_fuzz_read_copy(data, size, false);
    imp_fuzz_read_copy(data, size, true);
    return 0;
}
