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

/// The token counts the tier draws from, smallest first (65 .. 2049, then
/// PXDesign's chunk threshold 3199, 3200, 3201); a size-s case draws from the
/// first ones, more as s grows (size 100: up to 1025; size 150: all).
const std::vector<std::int64_t>& scale_token_counts();

/// Output elements one scale case may hold (B * N^2 * c_z) up to size 100:
/// bounds N when the scope fixes a large c_z.
inline constexpr std::int64_t kScaleElementBudget = std::int64_t{1} << 23;

/// The budget at RapidCheck size `size`: past the default maximum (100) a
/// campaign (--max-size 200) affords 8 times as much, enough for N = 3201 at c_z 4.
std::int64_t scale_element_budget(int size);

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
