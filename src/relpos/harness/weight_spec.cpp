#include "relpos/harness/weight_spec.hpp"

#include <cmath>
#include <random>

#include "relpos/synthetic_weights.hpp"

namespace relpos::harness {

std::string_view to_string(WeightStyle style) {
  switch (style) {
    case WeightStyle::trunc_normal: return "trunc_normal";
    case WeightStyle::uniform: return "uniform";
    case WeightStyle::wide_exponent: return "wide_exponent";
    case WeightStyle::sparse: return "sparse";
    case WeightStyle::small_integers: return "small_integers";
  }
  return "?";
}

Weights make_weights(const Config& config, const WeightSpec& spec) {
  if (spec.style == WeightStyle::trunc_normal) return protenix_synthetic_weights(config, spec.seed);
  Weights weights(std::array<std::size_t, 2>{static_cast<std::size_t>(config.c_z),
                                             static_cast<std::size_t>(config.feature_width())});
  std::mt19937_64 random(spec.seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::uniform_int_distribution<int> percent(0, 99);
  switch (spec.style) {
    case WeightStyle::trunc_normal: break;
    case WeightStyle::uniform:
      for (float& w : weights) w = unit(random);
      break;
    case WeightStyle::wide_exponent: {
      std::uniform_int_distribution<int> exponent(-100, 100);
      for (float& w : weights) {
        const int roll = percent(random);
        w = roll < 5 ? 0.0f : roll < 10 ? -0.0f : std::ldexp(unit(random), exponent(random));
        if (w != 0 && std::abs(w) < 0x1p-101f) w = std::copysign(0x1p-101f, w);
      }
      break;
    }
    case WeightStyle::sparse: {
      const Weights dense = protenix_synthetic_weights(config, spec.seed ^ 0x9e3779b97f4a7c15ull);
      auto source = dense.begin();
      for (float& w : weights) {
        const int roll = percent(random);
        w = roll < 35 ? 0.0f : roll < 70 ? -0.0f : *source;
        ++source;
      }
      break;
    }
    case WeightStyle::small_integers: {
      std::uniform_int_distribution<int> integer(-4, 4);
      for (float& w : weights) w = static_cast<float>(integer(random));
      break;
    }
  }
  return weights;
}

}  // namespace relpos::harness
