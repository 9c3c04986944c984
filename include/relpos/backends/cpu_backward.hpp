#pragma once
// The fused CPU weight gradient: one pass over G, no one-hot rows, bitwise the
// same for any thread count.
#include <cstdint>
#include <span>

#include "relpos/problem.hpp"

namespace relpos {

/// The pair rows (b, i) are cut into this many fixed slots whatever the
/// thread count; each slot sums its pairs' G in row-major order into its own
/// [F, c_z] partial, and the partials are added in slot order.
inline constexpr std::int64_t kGradientSlots = 32;

/// dW [c_z, F] of sum(p * G) with up to `threads` threads (0 = all cores).
void cpu_weight_gradient(const Problem& problem, std::span<const float> grad_output, std::span<float> grad_weight,
                         int threads);

/// Bytes it holds beyond G and dW: kGradientSlots partial [F, c_z] tables (c_z padded to 16).
std::uint64_t cpu_weight_gradient_bytes(const Config& config);

}  // namespace relpos
