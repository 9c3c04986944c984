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

/// One weight as the precision regime sums it: rounded to bf16 under
/// bf16-autocast (torch.autocast casts W before the product), else unchanged.
float regime_weight(Precision precision, float value);

/// W^T as [F, c_z]: the layout lookups gather from (one column = one contiguous
/// row), each weight as `precision` sums it.
xt::xtensor<float, 2> transposed_table(const Weights& weights, Precision precision = Precision::fp32);

/// The pair value p of the regime from its fp32 sum: rounded once to bf16 in the bf16 regimes.
float regime_result(Precision precision, float sum);

}  // namespace relpos
