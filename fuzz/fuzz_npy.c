/* The CLI's .npy parser (apps/common/npy.c), then a conversion of what it
 * accepts, so the element count and the data length are both exercised. */
#include <stdlib.h>

#include "fuzz_common.h"
#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct imp_npy a;
    char msg[256] = "";
    (void)imp_npy_probe(data, size);
    if (imp_npy_parse(data, size, &a, msg, sizeof msg) != 0) {
        if (msg[0] == '\0')
            imp_fuzz_die("npy: failed without a message");
        if (a.data)
            imp_fuzz_die("npy: failed but left data behind");
        return 0;
    }
    size_t es = imp_npy_dtype_size(a.dtype);
    size_t count = 1;
    if (a.rank < 0 || a.rank > IMP_MAX_RANK || es == 0)
        imp_fuzz_die("npy: accepted rank %d dtype %d", a.rank, (int)a.dtype);
    for (int d = 0; d < a.rank; d++) {
        if (a.dims[d] < 0)
            imp_fuzz_die("npy: accepted a negative dim");
        count *= (size_t)a.dims[d];
    }
    if (count != a.count)
        imp_fuzz_die("npy: count %zu, dims say %zu", a.count, count);
    if (count > size / es + 1)
        imp_fuzz_die("npy: %zu elements from a %zu-byte file", count, size);
    if (count && !a.data)
        imp_fuzz_die("npy: accepted %zu elements with no data", count);
    float *f = malloc(count * sizeof(float) + 1);
    if (!f)
        imp_fuzz_die("out of memory");
    if (imp_convert_elements(a.dtype, a.data, IMP_DTYPE_F32, f, count) != 0)
        imp_fuzz_die("npy: accepted dtype %d cannot be converted", (int)a.dtype);
    free(f);
    imp_npy_free(&a);
    return 0;
}
