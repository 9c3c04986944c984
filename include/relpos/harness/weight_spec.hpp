#pragma once
// Weight matrices the suite uses: the initialiser real models start from, and
// distributions chosen to expose summation-order and column-selection bugs.
#include <cstdint>
#include <string_view>

#include "relpos/config.hpp"
#include "relpos/weights.hpp"

namespace relpos::harness {

enum class WeightStyle {
  trunc_normal,    ///< Protenix's LinearNoBias initialiser (synthetic_weights.hpp)
  uniform,         ///< uniform in [-1, 1)
  wide_exponent,   ///< random sign and mantissa, exponents 2^-100 .. 2^100, some zeros of both signs
  sparse,          ///< 70% zeros (+0 and -0), the rest trunc-normal
  small_integers,  ///< integers in [-4, 4]: every order of the sum is exact
};
std::string_view to_string(WeightStyle style);

struct WeightSpec {
  WeightStyle style = WeightStyle::trunc_normal;
  std::uint64_t seed = 0;
};

/// [c_z, F] weights for `config`. Every value is finite and |w| < 2^101, so no
/// partial sum of four terms (nor z0 + p in accumulate mode) can overflow, and
/// no value is subnormal: the bound:K policy's error model holds exactly.
Weights make_weights(const Config& config, const WeightSpec& spec);

}  // namespace relpos::harness
