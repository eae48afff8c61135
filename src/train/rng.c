/* splitmix64 (Steele, Lea & Flood 2014): one word of state, which is
 * what a checkpoint must save to resume the same random stream. */
#include "impasto_train.h"

uint64_t imp_rng_next(struct imp_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double imp_rng_uniform(struct imp_rng *r)
{
    return (double)(imp_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}
