#include "passes/passes.h"

enum imp_status imp_passes_run(struct imp_graph *g, struct imp_error *err)
{
    enum imp_status st = imp_graph_sort(g, err);
    if (st == IMP_OK)
        st = imp_pass_expand_fp16(g, err);
    if (st == IMP_OK)
        st = imp_graph_sort(g, err); /* the boundary Casts come last */
    if (st == IMP_OK)
        st = imp_pass_fold_constants(g, err);
    if (st == IMP_OK)
        st = imp_pass_skip_identity(g, err);
    if (st == IMP_OK)
        st = imp_pass_sink_transposes(g, err);
    if (st == IMP_OK)
        st = imp_pass_fold_constants(g, err); /* permuted constants */
    if (st == IMP_OK)
        /* Sinking leaves dead Transposes that would count as readers. */
        st = imp_pass_remove_dead(g, err);
    if (st == IMP_OK)
        /* Not ConvTranspose: its engines do only the 9 useful taps of a
         * 3x3 stride-2 layer, and the rewritten conv (36 taps, 27 of them
         * zero) measured slower even on Winograd. */
        st = imp_pass_subpixel(g, IMP_SUBPIXEL_UPSAMPLE, err);
    if (st == IMP_OK)
        st = imp_pass_remove_dead(g, err);
    if (st == IMP_OK)
        st = imp_pass_fuse_norm(g, err); /* after: dead readers would block it */
    if (st == IMP_OK)
        /* After: a Pad the norm before can write costs nothing at all. */
        st = imp_pass_fuse_pad_conv(g, err);
    if (st == IMP_OK)
        st = imp_pass_fold_crop(g, err);
    if (st == IMP_OK)
        st = imp_pass_fold_batchnorm(g, err);
    if (st == IMP_OK)
        st = imp_pass_fuse_activation(g, err);
    return st;
}

enum imp_status imp_passes_run_shaped(struct imp_graph *g, const struct imp_tensor *known,
                                      bool *changed, struct imp_error *err)
{
    int fused = 0;
    enum imp_status st = imp_pass_fuse_decomposed_norm(g, known, &fused, err);
    *changed = fused > 0;
    if (st == IMP_OK && fused > 0)
        st = imp_pass_remove_dead(g, err);
    if (st == IMP_OK && fused > 0)
        st = imp_pass_fuse_norm(g, err);
    return st;
}
