#pragma once
// What every backend computes from: config, per-token ids and weights.
#include <array>
#include <cstddef>

#include "relpos/config.hpp"
#include "relpos/layout.hpp"
#include "relpos/weights.hpp"

namespace relpos {

struct Problem {
  Config config;
  const Layout& layout;
  const Weights& weights;

  /// The bins' parameters for this input (the Boltz wrap looks at every token's period).
  BinParams bins() const { return bin_params(config, config.cyclic == Cyclic::boltz && layout.any_cyclic()); }
  std::array<std::size_t, 4> output_shape() const {
    return {static_cast<std::size_t>(layout.batch()), static_cast<std::size_t>(layout.tokens()),
            static_cast<std::size_t>(layout.tokens()), static_cast<std::size_t>(config.c_z)};
  }
};

/// Config, layout and weights each valid and consistent (cyclic = boltz
/// needs the layout's periods), and the output [B, N, N, c_z] addressable;
/// throws InputError.
void validate(const Problem& problem);

/// Throws InputError when B * N * N * c_z float32 values do not fit in int64 bytes.
void validate_output_size(const Layout& layout, const Config& config);

}  // namespace relpos
