#include "relpos/backends/cpu_backward.hpp"

#include <algorithm>
#include <thread>
#include <vector>

#include "relpos/system.hpp"

namespace relpos {
namespace {

constexpr std::int64_t kChannelAlignment = 16;  // a 64-byte line per partial row

std::int64_t padded_channels(std::int64_t channels) {
  return (channels + kChannelAlignment - 1) / kChannelAlignment * kChannelAlignment;
}

// One pair's G (c_z values) into its hot columns' rows of the partial.
inline void add_pair(const HotColumns& hot, const float* __restrict g, float* __restrict partial, std::int64_t stride,
                     std::int64_t channels) {
  for (std::int32_t f : {hot.residue, hot.token, hot.entity, hot.chain}) {
    if (f < 0) continue;
    float* __restrict row = partial + f * stride;
    for (std::int64_t c = 0; c < channels; ++c) row[c] += g[c];
  }
}

// Slot `slot`'s partial: its rows' pairs in row-major order, from +0.
void sum_slot(const Problem& problem, const float* grad_output, std::int64_t slot, float* partial, std::int64_t stride) {
  const Layout& layout = problem.layout;
  const BinParams params = problem.bins();
  const std::int64_t n = layout.tokens(), channels = problem.config.c_z;
  const std::int64_t rows = layout.batch() * n;
  const std::int64_t begin = rows * slot / kGradientSlots, end = rows * (slot + 1) / kGradientSlots;
  std::fill(partial, partial + problem.config.feature_width() * stride, 0.0f);
  for (std::int64_t row = begin; row < end; ++row) {
    const std::int64_t b = row / n, i = row % n;
    const TokenIds token_i = layout.token(b, i);
    const float* g = grad_output + row * n * channels;
    for (std::int64_t j = 0; j < n; ++j, g += channels)
      add_pair(hot_columns(params, pair_bins(params, token_i, layout.token(b, j))), g, partial, stride, channels);
  }
}

// Runs work(k) for k in [0, count) on `workers` threads, k assigned statically.
template <class Work>
void parallel_for(std::int64_t count, std::int64_t workers, Work&& work) {
  const auto run = [&](std::int64_t w) {
    for (std::int64_t k = w; k < count; k += workers) work(k);
  };
  std::vector<std::jthread> pool;
  for (std::int64_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
}

}  // namespace

void cpu_weight_gradient(const Problem& problem, std::span<const float> grad_output, std::span<float> grad_weight,
                         int threads) {
  const std::int64_t channels = problem.config.c_z, width = problem.config.feature_width();
  const std::int64_t stride = padded_channels(channels);
  std::vector<float> partials(static_cast<std::size_t>(kGradientSlots * width * stride));
  const std::int64_t workers = std::clamp<std::int64_t>(threads > 0 ? threads : usable_cores(), 1, kGradientSlots);
  parallel_for(kGradientSlots, workers, [&](std::int64_t slot) {
    sum_slot(problem, grad_output.data(), slot, partials.data() + slot * width * stride, stride);
  });
  // ((slot 0 + slot 1) + slot 2) + ...: the same order for any thread count.
  parallel_for(width, workers, [&](std::int64_t f) {
    for (std::int64_t c = 0; c < channels; ++c) {
      float sum = partials[static_cast<std::size_t>(f * stride + c)];
      for (std::int64_t slot = 1; slot < kGradientSlots; ++slot)
        sum += partials[static_cast<std::size_t>((slot * width + f) * stride + c)];
      grad_weight[static_cast<std::size_t>(c * width + f)] = sum;
    }
  });
}

std::uint64_t cpu_weight_gradient_bytes(const Config& config) {
  return static_cast<std::uint64_t>(kGradientSlots * config.feature_width() * padded_channels(config.c_z)) * 4;
}

}  // namespace relpos
