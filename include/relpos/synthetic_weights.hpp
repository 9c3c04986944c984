#pragma once
// Seeded stand-in for a checkpoint: Protenix's LinearNoBias initialiser.
#include <cstdint>

#include "relpos/config.hpp"
#include "relpos/weights.hpp"

namespace relpos {

/// Protenix's truncated-normal init: N(0, std^2) cut at +-2 std, std =
/// sqrt(1 / F) / 0.87962566 (the truncation's variance correction). The same
/// seed gives the same values on every run (mt19937_64 + Box-Muller in double).
Weights protenix_synthetic_weights(const Config& config, std::uint64_t seed);

}  // namespace relpos
