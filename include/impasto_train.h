/*
 * impasto training: learn a style network on the CPU.
 *
 * A network to train (the student) and a network that judges it (the loss
 * network, VGG19) are both a `struct imp_tnet`: a fixed list of layers,
 * each reading earlier values and writing one new value. Value 0 is the
 * input; layer adders return the index of the value they write. Every
 * value keeps its activation for the backward pass, and planning lays
 * out all activations, gradients and scratch in one arena once, so a
 * training step allocates nothing.
 *
 * Numbers are deterministic: every reduction has a fixed order, so the
 * same inputs, parameters and thread count give the same bytes whatever
 * the threads' timing.
 *
 * This library links the runtime (libimpasto) for its kernels; the
 * runtime never depends on it.
 */
#ifndef IMPASTO_TRAIN_H
#define IMPASTO_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impasto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- networks ----------------------------------------------------------- */

struct imp_tnet;

/* An empty network whose input (value 0) has `channels` channels. */
struct imp_tnet *imp_tnet_create(int channels);
void imp_tnet_free(struct imp_tnet *net);

/* Layer adders: each returns the new value's index, or -1 when an argument
 * is wrong (an unknown value, a bad size) or memory runs out. Shapes are
 * checked again at plan time. Values are NCHW float32. */
/* Convolution, `pad` zeros on every side, optional bias. */
int imp_tnet_conv(struct imp_tnet *net, int x, int out_channels, int kernel, int stride,
                  int pad, bool bias);
/* Instance normalisation with a scale and shift per channel and per style
 * (conditional instance norm; n_styles = 1 is the plain affine form).
 * Each sample uses the style imp_tnet_set_styles gives it. */
int imp_tnet_norm(struct imp_tnet *net, int x, int n_styles);
int imp_tnet_relu(struct imp_tnet *net, int x);
int imp_tnet_sigmoid(struct imp_tnet *net, int x);
int imp_tnet_tanh(struct imp_tnet *net, int x);
/* Reflection padding of `pad` pixels (pad < the input's height and width). */
int imp_tnet_pad_reflect(struct imp_tnet *net, int x, int pad);
/* Nearest-neighbour upsampling by 2. */
int imp_tnet_upsample2(struct imp_tnet *net, int x);
/* Bilinear upsampling by 2: half-pixel centres, the edges repeated (ONNX
 * Resize 'linear', PyTorch's align_corners=False). */
int imp_tnet_upsample2_linear(struct imp_tnet *net, int x);
int imp_tnet_add(struct imp_tnet *net, int a, int b);
/* 2x2 pooling, stride 2 (odd edges dropped). */
int imp_tnet_maxpool2(struct imp_tnet *net, int x);
int imp_tnet_avgpool2(struct imp_tnet *net, int x);

int imp_tnet_value_count(const struct imp_tnet *net);

/* All trainable numbers of the network live in one array (and their
 * gradients in another of the same length), so the optimiser and the
 * checkpoints see one vector. */
size_t imp_tnet_param_count(const struct imp_tnet *net);
float *imp_tnet_params(struct imp_tnet *net);
float *imp_tnet_param_grads(struct imp_tnet *net);
/* Where the parameters of the layer writing `value` sit in that array:
 * conv weight [M, C, k, k] and bias [M]; norm scale and shift, each
 * [n_styles, C]. Returns false for layers without parameters. */
bool imp_tnet_layer_params(const struct imp_tnet *net, int value, size_t *weight_offset,
                           size_t *weight_count, size_t *bias_offset, size_t *bias_count);
/* Deterministic initial parameters: conv weights uniform in +-sqrt(6 / fan_in)
 * (He), biases 0, norm scales 1 and shifts 0. */
void imp_tnet_init_params(struct imp_tnet *net, uint64_t seed);

struct imp_tnet_plan_options {
    int batch, height, width; /* of the input                           */
    int threads;              /* 1 or more                               */
    enum imp_isa max_isa;     /* cap on the kernels used                 */
    /* The parameters will not change (a loss network): convolutions are
     * prepared once with the runtime's engines (Winograd for 3x3) and no
     * parameter gradients are computed. */
    bool frozen;
    /* Only the convolutions are frozen (prepared once with the runtime's
     * engines, their parameter gradients left at 0): the norms still
     * learn, e.g. a new style added to a trained network. */
    bool frozen_convs;
    /* Compute the gradient of the input (value 0), e.g. the loss
     * network's gradient for the picture it judges. */
    bool input_grad;
    /* Values whose gradient the caller writes before each backward pass
     * (the losses' seeds). A value that neither is seeded nor leads to a
     * seeded value gets no gradient and its layers no backward pass. */
    const int *seeds;
    int n_seeds;
};

/* Shapes, engines and the arena; fails with a readable message. May be
 * called again with other options (it re-plans). Parameters are kept. */
enum imp_status imp_tnet_plan(struct imp_tnet *net, const struct imp_tnet_plan_options *o,
                              struct imp_error *err);
/* The planned shape of a value: [n, c, h, w]. */
void imp_tnet_value_shape(const struct imp_tnet *net, int value, int dims[4]);
/* The activation of a value (valid after a forward pass) and the gradient
 * buffer of a value (seeded values: the caller writes it). NULL when the
 * value has no such buffer. */
float *imp_tnet_value(struct imp_tnet *net, int value);
float *imp_tnet_grad(struct imp_tnet *net, int value);
/* Which style each sample of the batch uses (batch entries, each below
 * every norm layer's n_styles); all 0 until set. */
enum imp_status imp_tnet_set_styles(struct imp_tnet *net, const int *style_of_sample,
                                    struct imp_error *err);

/* Runs layers 1..last_value (-1: all) on the input [batch, C, H, W]. */
void imp_tnet_forward(struct imp_tnet *net, const float *input, int last_value);
/* After a full forward pass and with every seed written: gradients of all
 * values that lead to a seed, of the input when asked, and (unless frozen)
 * of the parameters, which are overwritten, not accumulated. */
void imp_tnet_backward(struct imp_tnet *net);

/* ---- the student ------------------------------------------------------- */

/* The style network we train: a strided encoder, residual blocks at the
 * coarsest level, a decoder of nearest x2 + 3x3 conv (no checkerboard),
 * reflection padding, conditional instance norm after every conv but the
 * last (one scale and shift per style), a sigmoid output. Input and
 * output RGB 0..1. */
#define IMP_STUDENT_MAX_LEVELS 4
struct imp_student_shape {
    int levels;                           /* resolution levels, 1..4       */
    int channels[IMP_STUDENT_MAX_LEVELS]; /* per level, finest first       */
    int edge_kernel; /* the stem's and the output conv's size (odd)        */
    int stem_stride; /* 1: the stem works at full size; 2: at half size    */
    int res_blocks;  /* at the coarsest level                              */
    bool skips;      /* add each encoder level's output to the decoder's    */
    /* The decoder's way up: false, nearest x2 then a 3x3 conv at the larger
     * size; true, the 3x3 conv at the smaller size then bilinear x2, which
     * leaves no blocks and costs less than half the multiply-adds. */
    bool bilinear;
};
/* Johnson et al.'s shape at a width: {w, 2w, 4w}, 9x9 edges, stem at
 * full size, body at a quarter. About 10 GMAC a 640x480 frame at w = 16. */
struct imp_student_shape imp_student_johnson(int width, int res_blocks);
/* The shape impasto ships, made for 60 frames a second on two cores:
 * {16, 32, 48}, a 3x3 stride-2 stem, body at an eighth of the size with 3
 * blocks, long skips, 3x3 output conv at full size. About 1.5 GMAC a
 * 640x480 frame. */
struct imp_student_shape imp_student_fast(void);
/* imp_student_fast with the bilinear decoder: about 1.0 GMAC a 640x480
 * frame. */
struct imp_student_shape imp_student_smooth(void);
bool imp_student_shape_valid(const struct imp_student_shape *shape);
/* Sizes the network gives back unchanged are multiples of this. */
int imp_student_stride(const struct imp_student_shape *shape);
/* Returns NULL on bad arguments; *output receives the output value. */
struct imp_tnet *imp_student_create_shaped(int n_styles, const struct imp_student_shape *shape,
                                           int *output);
/* imp_student_create_shaped with imp_student_johnson(width, res_blocks). */
struct imp_tnet *imp_student_create(int n_styles, int width, int res_blocks, int *output);

/* Reads back a multi-style network imp_tnet_export wrote (a .imp, or its
 * ONNX conversion) to train it further: a student of n_styles + extra
 * styles with the file's convolutions and the norm parameters of the
 * styles names[0..n_styles) (the file's impasto.styles), the extra styles
 * starting at their mean. Its width and residual blocks come from the
 * file. A file of another shape fails with IMP_ERR_FORMAT naming the
 * first weight that does not fit. */
enum imp_status imp_student_load(const char *path, const char *const *names, int n_styles,
                                 int extra, struct imp_tnet **out, int *output,
                                 struct imp_error *err);

/* Writes the network as a .imp model the runtime runs (input "input",
 * [1, C, ?, ?]; output "output"). Each norm layer becomes an
 * InstanceNormalization whose scale and shift ("normN.scale",
 * "normN.shift", replaceable live with imp_predictor_set_param) are the
 * styles mixed by `style_mix` (n_styles weights, or NULL for style 0).
 * The file is checked by loading it, then written atomically. */
enum imp_status imp_tnet_export_imp(const struct imp_tnet *net, const float *style_mix,
                                    const char *path, struct imp_error *err);

/* A style of a multi-style network: a name ([a-z0-9_-], 1 to 63 bytes,
 * unique; "identity" for the network's photo) and, when known, the
 * painting's title and painter. */
struct imp_tnet_style {
    const char *name, *title, *painter;
};

struct imp_tnet_export {
    const float *style_mix;              /* the live norm weights (NULL: style 0) */
    /* One per style of the network, or NULL for a plain model. With them
     * the file is a multi-style network (docs/format.md): every style's
     * scales and shifts ride along as constants "style.NAME.normK.scale"
     * and ".shift", named in the metadata (impasto.styles,
     * impasto.styles.params, impasto.style.NAME.params, .title, .painter). */
    const struct imp_tnet_style *styles;
    const char *recipe;                  /* impasto.recipe, or NULL */
};

/* imp_tnet_export_imp with the options above. Every export records the
 * input convention (impasto.input.*: NCHW, RGB, 0..1). */
enum imp_status imp_tnet_export(const struct imp_tnet *net, const struct imp_tnet_export *o,
                                const char *path, struct imp_error *err);

/* ---- the perceptual loss ------------------------------------------------- */

/* The loss network of a perceptual loss: VGG19's convolutions up to
 * block3_conv4 with max pooling, from a TF.js Keras layers model
 * (weights_manifest_groups1-8.json and its shards in `dir`). Reads
 * every file as hostile: a missing, short or corrupt file fails with a
 * message naming it. The network takes RGB in 0..1 and applies Keras'
 * "caffe" preprocessing itself (a frozen 1x1 conv in front). *relu_values
 * receives the value index after each of the 8 convolutions + Relu
 * (relu1_1, relu1_2, relu2_1, relu2_2, relu3_1 .. relu3_4). */
enum imp_status imp_vgg19_load(const char *dir, struct imp_tnet **out, int relu_values[8],
                               struct imp_error *err);
/* The same network cut after its first n_convs (1..8) convolutions, for a
 * loss that needs no deeper layer (fewer convolutions, faster steps);
 * relu_values of the convolutions left out are -1. */
enum imp_status imp_vgg19_load_convs(const char *dir, int n_convs, struct imp_tnet **out,
                                     int relu_values[8], struct imp_error *err);

struct imp_ploss;

struct imp_ploss_options {
    int content_value;        /* loss-network value for the content loss */
    const int *style_values;  /* values for the style loss (Gram matrices) */
    int n_style_values;
    double content_weight, style_weight, tv_weight;
    /* An identity style's samples also pay this weight times the mean
     * squared pixel difference (0..255) from their photo, added to the
     * content term: VGG's features alone leave the photo's colours and
     * contrast loose, and the identity style must give the photo back. */
    double identity_pixel_weight;
};

/* A perceptual loss around a loss network (borrowed; frozen and planned by
 * the loss for batch x height x width RGB pictures, `threads` threads). */
enum imp_status imp_ploss_create(struct imp_tnet *loss_net, const struct imp_ploss_options *o,
                                 int n_styles, int batch, int height, int width, int threads,
                                 enum imp_isa max_isa, struct imp_ploss **out,
                                 struct imp_error *err);
void imp_ploss_free(struct imp_ploss *pl);
/* The Gram matrices of painting `style` ([3, height, width] RGB 0..1),
 * computed once and kept. A NULL painting makes `style` an identity
 * style: its samples get the content and TV terms only (style weight 0),
 * so the network learns to give the photo back; a strength control
 * interpolates towards it. A style never set is an identity style too. */
enum imp_status imp_ploss_set_style(struct imp_ploss *pl, int style, const float *painting,
                                    struct imp_error *err);
/* The same from a painting larger than the training crops, cut into
 * n_tiles crops of [3, height, width]: its Gram matrices are the mean of
 * the tiles' (the whole painting's, but for the borders between tiles),
 * so its strokes keep their size in a picture of that size. */
enum imp_status imp_ploss_set_style_tiles(struct imp_ploss *pl, int style, const float *tiles,
                                          int n_tiles, struct imp_error *err);

struct imp_ploss_value {
    double total, content, style, tv; /* weighted; total is their sum */
};

/* Loss of the generated pictures `gen` against the `content` pictures
 * (both [batch, 3, H, W], RGB 0..1), sample i judged against the style
 * style_of_sample[i]; writes d total / d gen into grad_gen. */
struct imp_ploss_value imp_ploss_eval(struct imp_ploss *pl, const float *gen,
                                      const float *content, const int *style_of_sample,
                                      float *grad_gen);
/* The same terms without any gradient (the loss network runs forward
 * only): with weights 1 and batch 1 these are the style distance (summed
 * over the style values) and the content distance of one picture, as
 * `impasto style-score` reports them. */
struct imp_ploss_value imp_ploss_measure(struct imp_ploss *pl, const float *gen,
                                         const float *content, const int *style_of_sample);

/* ---- optimiser, randomness, checkpoints ---------------------------------- */

/* A small, fast generator whose whole state is one 64-bit word
 * (splitmix64), so checkpoints can save it. */
struct imp_rng {
    uint64_t state;
};
uint64_t imp_rng_next(struct imp_rng *r);
/* Uniform in [0, 1). */
double imp_rng_uniform(struct imp_rng *r);

struct imp_adam {
    size_t n;
    double lr, beta1, beta2, eps;
    int64_t step;
    float *m, *v; /* first and second moments, n each */
};

enum imp_status imp_adam_init(struct imp_adam *a, size_t n, double lr, struct imp_error *err);
void imp_adam_release(struct imp_adam *a);
/* One update of params from grads. Element-wise, so deterministic. */
void imp_adam_step(struct imp_adam *a, float *params, const float *grads);

/* Training state saved and restored byte for byte: parameters, Adam's
 * moments and step, the generator. Written to a temporary name in the
 * same folder and renamed, so a crash leaves the old checkpoint whole. */
struct imp_checkpoint {
    size_t n_params;
    float *params;
    struct imp_adam *adam;
    struct imp_rng *rng;
    uint64_t tag; /* the caller's: e.g. a hash of the recipe */
};

enum imp_status imp_checkpoint_save(const char *path, const struct imp_checkpoint *c,
                                    struct imp_error *err);
/* Fills the caller's buffers (sizes must match c->n_params and adam->n). */
enum imp_status imp_checkpoint_load(const char *path, struct imp_checkpoint *c,
                                    struct imp_error *err);

#ifdef __cplusplus
}
#endif

#endif
