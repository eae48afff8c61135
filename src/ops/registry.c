#include <string.h>

#include "ops/op.h"

static const struct imp_op_def *const op_table[IMP_OP_COUNT] = {
#define IMP_OP(id, name, family) [IMP_OP_##id] = &imp_opdef_##id,
#include "ops/ops.def"
#undef IMP_OP
};

const struct imp_op_def *imp_op_get(enum imp_op op)
{
    return (unsigned)op < IMP_OP_COUNT ? op_table[op] : NULL;
}

static const char *const op_names[IMP_OP_COUNT] = {
#define IMP_OP(id, name, family) [IMP_OP_##id] = name,
#include "ops/ops.def"
#undef IMP_OP
};

const char *imp_op_name(enum imp_op op)
{
    return (unsigned)op < IMP_OP_COUNT ? op_names[op] : "?";
}

enum imp_op imp_op_from_name(const char *name)
{
    for (int i = 0; i < IMP_OP_COUNT; i++)
        if (strcmp(op_names[i], name) == 0)
            return (enum imp_op)i;
    return IMP_OP_COUNT;
}
