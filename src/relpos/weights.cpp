#include "relpos/weights.hpp"

#include <cmath>

#include <fmt/format.h>
#include <xtensor/xmanipulation.hpp>

#include "relpos/bf16.hpp"
#include "relpos/errors.hpp"

namespace relpos {

void validate(const Weights& weights, const Config& config) {
  const auto rows = static_cast<std::int64_t>(weights.shape(0));
  const auto cols = static_cast<std::int64_t>(weights.shape(1));
  if (rows != config.c_z || cols != config.feature_width())
    throw InputError(fmt::format("weight has shape [{}, {}] but the config needs [c_z, F] = [{}, {}] ({})", rows, cols,
                                 config.c_z, config.feature_width(), describe(config)));
  for (std::int64_t c = 0; c < rows; ++c)
    for (std::int64_t f = 0; f < cols; ++f)
      if (!std::isfinite(weights(c, f)))
        throw InputError(fmt::format("weight [{}, {}] = {} is not finite", c, f, weights(c, f)));
}

float regime_weight(Precision precision, float value) {
  return rounds_weights(precision) ? round_to_bf16(value) : value;
}

xt::xtensor<float, 2> transposed_table(const Weights& weights, Precision precision) {
  xt::xtensor<float, 2> table(xt::transpose(weights));
  if (rounds_weights(precision))
    for (float& w : table) w = round_to_bf16(w);
  return table;
}

float regime_result(Precision precision, float sum) { return rounds_result(precision) ? round_to_bf16(sum) : sum; }

}  // namespace relpos
