#include "relpos/backends/cpu_backward.hpp"

#include <algorithm>
#include <array>
#include <thread>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "relpos/system.hpp"

namespace relpos {
namespace {

constexpr std::int64_t kChannelAlignment = 16;  // a 64-byte line per partial row

std::int64_t padded_channels(std::int64_t channels) {
  return (channels + kChannelAlignment - 1) / kChannelAlignment * kChannelAlignment;
}

// Slot `slot`'s partial: its rows' pairs in row-major order, from +0. G is
// first summed over runs of consecutive pairs that share columns, and each run's
// sum is added into them once: along a row, pairs with another chain share all
// four columns and pairs within a chain their token, entity and chain columns,
// so most pairs cost one or two vector adds instead of four. Cloned per ISA so
// the channel loops run as wide as the machine allows (the build targets baseline x86-64).
__attribute__((target_clones("avx512f", "avx2", "default"))) void sum_slot(const Problem& problem,
                                                                            const float* grad_output,
                                                                            std::int64_t slot, float* partial,
                                                                            std::int64_t stride) {
  const Layout& layout = problem.layout;
  const BinParams params = problem.bins();
  const std::int64_t n = layout.tokens(), channels = problem.config.c_z;
  const std::int64_t rows = layout.batch() * n;
  const std::int64_t begin = rows * slot / kGradientSlots, end = rows * (slot + 1) / kGradientSlots;
  std::fill(partial, partial + problem.config.feature_width() * stride, 0.0f);
  std::vector<float> residue_run(static_cast<std::size_t>(channels)), rest_run(static_cast<std::size_t>(channels));
  float* __restrict residue_sum = residue_run.data();
  float* __restrict rest_sum = rest_run.data();
  std::int32_t residue_key = -1;                  // -1: no run open
  std::array<std::int32_t, 3> rest_key{-1, -1, -1};  // token, entity (-1 when none), chain
  const auto add_into = [&](std::int32_t f, const float* __restrict sum) {
    if (f < 0) return;
    float* __restrict target = partial + f * stride;
    for (std::int64_t c = 0; c < channels; ++c) target[c] += sum[c];
  };
  const auto flush_rest = [&] {
    if (rest_key[0] < 0) return;
    for (std::int32_t f : rest_key) add_into(f, rest_sum);
  };
  for (std::int64_t row = begin; row < end; ++row) {
    const std::int64_t b = row / n, i = row % n;
    const TokenIds token_i = layout.token(b, i);
    const float* __restrict g = grad_output + row * n * channels;
    for (std::int64_t j = 0; j < n; ++j, g += channels) {
      const HotColumns hot = hot_columns(params, pair_bins(params, token_i, layout.token(b, j)));
      if (hot.residue == residue_key) {
        for (std::int64_t c = 0; c < channels; ++c) residue_sum[c] += g[c];
      } else {
        add_into(residue_key, residue_sum);
        std::copy(g, g + channels, residue_sum);
        residue_key = hot.residue;
      }
      const std::array<std::int32_t, 3> key{hot.token, hot.entity, hot.chain};
      if (key == rest_key) {
        for (std::int64_t c = 0; c < channels; ++c) rest_sum[c] += g[c];
      } else {
        flush_rest();
        std::copy(g, g + channels, rest_sum);
        rest_key = key;
      }
    }
  }
  add_into(residue_key, residue_sum);
  flush_rest();
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
  std::vector<float, xsimd::aligned_allocator<float, 64>> partials(static_cast<std::size_t>(kGradientSlots * width * stride));
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
