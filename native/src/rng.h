// The seeded normal generator of the Monte Carlo kernels, the same as src/kernels/rng.ts bit for bit
// in its integer state and uniforms: xoshiro128** (Blackman and Vigna) seeded by splitmix32, 53-bit
// uniforms from two 32-bit draws, standard normals by Box-Muller with both of each pair used, in order.
// (The normals go through the C library's log/sin/cos where JS uses V8's: they agree to an ulp or so.)
#pragma once

#include <cmath>
#include <cstdint>

namespace dualbus {

class NormalGenerator {
 public:
  explicit NormalGenerator(uint32_t seed) {
    uint32_t x = seed;
    auto next = [&x]() -> uint32_t {
      x += 0x9e3779b9u;
      uint32_t t = x ^ (x >> 16);
      t *= 0x21f0aaadu;
      t ^= t >> 15;
      t *= 0x735a2d97u;
      return t ^ (t >> 15);
    };
    s0_ = next();
    s1_ = next();
    s2_ = next();
    s3_ = next();
  }

  /** The next 32 random bits. */
  inline uint32_t NextU32() {
    const uint32_t result = Rotl(s1_ * 5u, 7) * 9u;
    const uint32_t t = s1_ << 9;
    s2_ ^= s0_;
    s3_ ^= s1_;
    s1_ ^= s2_;
    s0_ ^= s3_;
    s2_ ^= t;
    s3_ = Rotl(s3_, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  inline double NextUniform() {
    const uint32_t hi = NextU32() >> 5;  // 27 bits
    const uint32_t lo = NextU32() >> 6;  // 26 bits
    return (static_cast<double>(hi) * 67108864.0 + static_cast<double>(lo)) / 9007199254740992.0;
  }

  /** A standard normal draw. */
  inline double NextNormal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - NextUniform();  // (0, 1]: log stays finite
    const double u2 = NextUniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * kPi * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  static constexpr double kPi = 3.141592653589793;  // Math.PI
  static inline uint32_t Rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

  uint32_t s0_, s1_, s2_, s3_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace dualbus
