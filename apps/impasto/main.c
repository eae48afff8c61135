#include <stdio.h>
#include <string.h>

#include "impasto.h"

int main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "info") != 0) {
        fprintf(stderr, "usage: impasto info MODEL\n");
        return 2;
    }
    struct imp_model *m;
    struct imp_error err;
    if (imp_model_load_file(argv[2], &m, &err) != IMP_OK) {
        fprintf(stderr, "impasto: %s\n", err.message);
        return 1;
    }
    printf("%d nodes\n", imp_model_node_count(m));
    imp_model_free(m);
    return 0;
}
