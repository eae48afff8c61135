/*
 * What every fuzz target checks, beyond "did not crash": a reader either
 * fails cleanly (a status, a message, an empty graph) or hands over a graph
 * whose indices and constants are consistent; a model that loads can be
 * planned, run and written as .imp and read back.
 *
 * A broken contract calls imp_fuzz_die(), which aborts so that libFuzzer
 * (or the replay test) reports the input. This is test code: the library
 * itself never aborts on input.
 */
#ifndef IMP_FUZZ_COMMON_H
#define IMP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "core/graph.h"
#include "runtime/model.h"

/* Fuzz iterations must stay fast: bigger models load but are not run. */
#define IMP_FUZZ_MAX_VALUE_BYTES ((size_t)64 << 20) /* all tensors, summed */
#define IMP_FUZZ_MAX_RUN_MACS ((int64_t)20 * 1000 * 1000)

_Noreturn void imp_fuzz_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Check a reader's result: on failure the status is an error with a
 * message and the graph is empty; on success the graph is well formed.
 * `who` names the reader in failure reports. */
void imp_fuzz_check_read(const char *who, enum imp_status st,
                         const struct imp_error *err,
                         const struct imp_graph *g);

/* Everything after reading: passes (imp_model_from_graph, which takes
 * `g` over), then imp_fuzz_exercise_model. */
void imp_fuzz_graph_to_model(struct imp_graph *g, const uint8_t *seed,
                             size_t seed_size);

/* The public pipeline on a loaded model: info queries, predictor init,
 * one run when cheap (inputs filled from `seed`), a resize of open dims,
 * and the .imp round trip (write, read back, same interface). */
void imp_fuzz_exercise_model(const struct imp_model *m, const uint8_t *seed,
                             size_t seed_size);

/* Bytes of every tensor of one inference with these input shapes, summed
 * (saturating), and of the largest activation the arena would hold; false
 * when inference fails. For deciding whether a predictor is affordable. */
bool imp_fuzz_plan_size(const struct imp_graph *g, const struct imp_shape *shapes,
                        size_t *total, size_t *largest);

/* Rewrite both CRC-32C fields of .imp bytes (see docs/format.md) so that
 * mutations reach the parser behind the checksums, as a crafted file
 * would. The body CRC covers [64, min(declared file_size, size)). */
void imp_fuzz_imp_fix_checksums(uint8_t *data, size_t size);

/* imp_model_load_buffer on the bytes, then imp_fuzz_exercise_model. */
void imp_fuzz_load_buffer(const uint8_t *data, size_t size);

#endif
