/*
 * Model readers and writers. Each reader treats its bytes as hostile:
 * every offset and length is checked before use, and a bad file yields
 * IMP_ERR_FORMAT / IMP_ERR_UNSUPPORTED with a message naming the part
 * (node, tensor, byte offset) that is wrong. On failure the graph is left
 * released (empty).
 */
#ifndef IMP_FORMATS_H
#define IMP_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/graph.h"

/* Recognisers, by magic bytes. ONNX has no magic: it is what is left. */
bool imp_tflite_probe(const uint8_t *data, size_t size);
bool imp_imp_probe(const uint8_t *data, size_t size);

enum imp_status imp_onnx_read(const uint8_t *data, size_t size,
                              struct imp_graph *g, struct imp_error *err);
enum imp_status imp_tflite_read(const uint8_t *data, size_t size,
                                struct imp_graph *g, struct imp_error *err);
/* Constants may point into `data` (not owned) when it is 64-byte aligned
 * and `borrow` is true; the caller then keeps `data` alive. */
enum imp_status imp_imp_read(const uint8_t *data, size_t size, bool borrow,
                             struct imp_graph *g, struct imp_error *err);
/* Serialise to a malloc'd buffer. */
enum imp_status imp_onnx_write(const struct imp_graph *g, uint8_t **data,
                               size_t *size, struct imp_error *err);
enum imp_status imp_imp_write(const struct imp_graph *g, uint8_t **data,
                              size_t *size, struct imp_error *err);

#endif
