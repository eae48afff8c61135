/* Graph inputs that are plan-time values: inputs whose contents decide
 * shapes (a Reshape's shape, a Resize's sizes fed by the caller). */
#ifndef IMP_PLAN_INPUTS_H
#define IMP_PLAN_INPUTS_H

#include <stdbool.h>

#include "core/graph.h"

/* Marks flags[i] for each graph input i whose contents reach an operand
 * that an operator reads at plan time (imp_op_def.plan_inputs), directly
 * or through the nodes computing that operand (not through Shape, which
 * reads only its input's shape). flags may be NULL. Returns how many are
 * marked, or -1 when out of memory. */
int imp_find_plan_inputs(const struct imp_graph *g, bool *flags);

#endif
