#pragma once
// The projection weight of the one-hot path: PyTorch nn.Linear layout.
#include <xtensor/xtensor.hpp>

#include "relpos/config.hpp"

namespace relpos {

using Weights = xt::xtensor<float, 2>;  ///< [c_z, F], out_features x in_features

/// Throws InputError: shape [c_z, F] disagrees with the config, or a value is
/// not finite (0 * inf in the one-hot product would make every output NaN,
/// which no lookup reproduces; real checkpoints never hold such values).
void validate(const Weights& weights, const Config& config);

/// W^T as [F, c_z]: the layout lookups gather from (one column = one contiguous row).
xt::xtensor<float, 2> transposed_table(const Weights& weights);

}  // namespace relpos
