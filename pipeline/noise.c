// noise.c — seeded N(0, 1) noise: xoshiro256** (Blackman & Vigna) seeded through splitmix64, Box-Muller.
#include <math.h>

#include "noise.h"

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next(struct noise_rng *r) {
    uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
    return result;
}

void noise_seed(struct noise_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix(&seed);
    r->has_spare = 0;
}

void noise_normal(struct noise_rng *r, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (r->has_spare) {
            out[i] = (float)r->spare;
            r->has_spare = 0;
            continue;
        }
        double u = ((double)(next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
        double v = (double)(next(r) >> 11) * (1.0 / 9007199254740992.0);
        double rad = sqrt(-2.0 * log(u));
        out[i] = (float)(rad * cos(6.283185307179586 * v));
        r->spare = rad * sin(6.283185307179586 * v);
        r->has_spare = 1;
    }
}
