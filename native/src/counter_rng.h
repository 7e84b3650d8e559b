// The Monte Carlo scenarios' counter-based generator, the same as src/kernels/counter-rng.ts bit for
// bit in its words and uniforms: Threefry-2x32-20 under key (seed, 0) of counter (path, pair), each
// word's top 24 bits a uniform in (0, 1), Box-Muller per pair. (The normals go through the C
// library's log/sin/cos where JS uses V8's: they agree to an ulp or so.)
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace dualbus {

inline void Threefry2x32(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t* out) {
  static const int kRotations[8] = {13, 15, 26, 6, 17, 29, 16, 24};
  const uint32_t ks[3] = {k0, k1, 0x1bd11bdau ^ k0 ^ k1};
  uint32_t x0 = c0 + k0;
  uint32_t x1 = c1 + k1;
  for (int round = 0; round < 20; ++round) {
    x0 += x1;
    const int r = kRotations[round % 8];
    x1 = (x1 << r) | (x1 >> (32 - r));
    x1 ^= x0;
    if (round % 4 == 3) {
      const uint32_t s = static_cast<uint32_t>((round + 1) / 4);
      x0 += ks[s % 3];
      x1 += ks[(s + 1) % 3] + s;
    }
  }
  out[0] = x0;
  out[1] = x1;
}

inline double Uniform24(uint32_t word) { return (static_cast<double>(word >> 8) + 0.5) / 16777216.0; }

/** Path `path`'s n standard normals into z. */
inline void ScenarioNormals(uint32_t seed, uint32_t path, double* z, size_t n) {
  uint32_t words[2];
  for (size_t pair = 0; 2 * pair < n; ++pair) {
    Threefry2x32(seed, 0, path, static_cast<uint32_t>(pair), words);
    const double r = std::sqrt(-2.0 * std::log(Uniform24(words[0])));
    const double theta = 2.0 * M_PI * Uniform24(words[1]);
    z[2 * pair] = r * std::cos(theta);
    if (2 * pair + 1 < n) z[2 * pair + 1] = r * std::sin(theta);
  }
}

}  // namespace dualbus
