// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"), the counter-based
// generator PyTorch's CUDA RNG also uses. Element i of a random op reads counter (offset + i / k)
// for a fixed k per kind, so results do not depend on how the work is split between threads.
#pragma once
#include <cstdint>

#include "kernels/functors.h"

namespace tk::kernels {

struct Philox4 {
  uint32_t v[4];
};

TK_HD inline Philox4 philox4x32(uint64_t counter, uint64_t key) {
  uint32_t c0 = uint32_t(counter), c1 = uint32_t(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = uint64_t(0xD2511F53u) * c0, p1 = uint64_t(0xCD9E8D57u) * c2;
    uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0), hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

// Uniform in [0, 1) from 24 or 53 random bits.
TK_HD inline float u01f(uint32_t x) { return float(x >> 8) * (1.0f / 16777216.0f); }
TK_HD inline double u01d(uint32_t hi, uint32_t lo) {
  return double(((uint64_t(hi) << 32 | lo) >> 11)) * (1.0 / 9007199254740992.0);
}

}  // namespace tk::kernels
