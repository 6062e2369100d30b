// noise.h — the job's seeded Gaussian noise (initial latents, VAE posterior samples). PyTorch's CUDA Philox
// stream cannot be matched bit for bit (spec/pipeline.md §5.1), so we use our own generator, deterministic
// in the seed and identical on every backend: xoshiro256** driven Box-Muller in double, rounded to float.
#ifndef LS_NOISE_H
#define LS_NOISE_H

#include <stddef.h>
#include <stdint.h>

struct noise_rng {
    uint64_t s[4];
    double spare;
    int has_spare;
};

void noise_seed(struct noise_rng *r, uint64_t seed);
void noise_normal(struct noise_rng *r, float *out, size_t n); // N(0, 1)

#endif
