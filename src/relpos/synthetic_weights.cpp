#include "relpos/synthetic_weights.hpp"

#include <cmath>
#include <numbers>
#include <random>

namespace relpos {
namespace {

// Uniform in (0, 1] from 53 random bits; the engine's sequence is fixed by the standard.
double uniform(std::mt19937_64& engine) { return (static_cast<double>(engine() >> 11) + 1.0) * 0x1p-53; }

double standard_normal(std::mt19937_64& engine) {
  const double radius = std::sqrt(-2.0 * std::log(uniform(engine)));
  return radius * std::cos(2.0 * std::numbers::pi * uniform(engine));
}

}  // namespace

Weights protenix_synthetic_weights(const Config& config, std::uint64_t seed) {
  constexpr double kTruncationStdCorrection = 0.87962566103423978;  // std of N(0,1) cut at +-2
  const std::int64_t width = config.feature_width();
  const double std_dev = std::sqrt(1.0 / static_cast<double>(width)) / kTruncationStdCorrection;
  std::mt19937_64 engine(seed);
  Weights weights(std::array<std::size_t, 2>{static_cast<std::size_t>(config.c_z), static_cast<std::size_t>(width)});
  for (float& value : weights) {
    double x = standard_normal(engine);
    while (std::abs(x) > 2.0) x = standard_normal(engine);
    value = static_cast<float>(x * std_dev);
  }
  return weights;
}

}  // namespace relpos
