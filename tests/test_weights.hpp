#pragma once
// Weights for tests that need more than the Protenix initialiser's range.
#include <array>
#include <cmath>
#include <cstdint>
#include <random>

#include "relpos/config.hpp"
#include "relpos/weights.hpp"

namespace relpos::testing {

/// Weights spread over 2^-30 .. 2^30: every reordering of the four terms rounds differently somewhere.
inline Weights wide_range_weights(const Config& config, std::uint64_t seed) {
  Weights w(std::array<std::size_t, 2>{static_cast<std::size_t>(config.c_z),
                                       static_cast<std::size_t>(config.feature_width())});
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> mantissa(-2.0f, 2.0f);
  std::uniform_int_distribution<int> exponent(-30, 30);
  for (float& v : w) v = std::ldexp(mantissa(rng), exponent(rng));
  return w;
}

}  // namespace relpos::testing
