#pragma once
// The scale tier: cases past the 64-token cap of the standard generator, at
// the token counts where kernels tile (2^k - 1, 2^k, 2^k + 1, multiples of
// 8/16/32/128/256 and one past them), with probe weights that make every
// pair's four bins readable from its output. A failure shrinks to the
// smallest such N that still fails, and to one chain.
#include <cstdint>
#include <vector>

#include <rapidcheck.h>

#include "relpos/harness/case.hpp"
#include "relpos/harness/scope.hpp"

namespace relpos::harness {

/// The token counts the tier draws from, smallest first (65 .. 2049); a
/// size-s case draws from the first ones, more as s grows.
const std::vector<std::int64_t>& scale_token_counts();

/// Output elements one scale case may hold (B * N^2 * c_z): bounds N when the
/// scope fixes a large c_z.
inline constexpr std::int64_t kScaleElementBudget = std::int64_t{1} << 23;

/// W whose channel 0 is the residue bin + 1, channel 1 the token bin + 1,
/// channel 2 the entity bit and channel 3 the chain bin + 1 (other channels
/// 0): small integers, exact in fp32 and bf16 and in any summation order.
Weights scale_probe_weights(const Config& config);

/// "channel 0 = residue bin + 1, ...": how to read a probe output.
const char* scale_probe_legend();

namespace gen {

/// Scale-tier cases within `scope` (a c_z the scope leaves free is 4: the probe).
rc::Gen<Case> scale_case(const Scope& scope);

}  // namespace gen
}  // namespace relpos::harness
