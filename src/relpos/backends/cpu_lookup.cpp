#include "relpos/backends/cpu_lookup.hpp"

#include <algorithm>
#include <thread>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "relpos/backends/cpu_lookup_kernel.hpp"

namespace relpos {
namespace {

constexpr std::int64_t kTableAlignmentFloats = 16;  // 64 bytes: one AVX-512 vector, one cache line
// Outputs bigger than any last-level cache gain nothing from passing through it.
constexpr std::size_t kStreamingThresholdBytes = std::size_t{32} << 20;

using AlignedFloats = std::vector<float, xsimd::aligned_allocator<float, 64>>;

std::int64_t table_stride(std::int64_t channels) {
  return (channels + kTableAlignmentFloats - 1) / kTableAlignmentFloats * kTableAlignmentFloats;
}

AlignedFloats padded_table(const Weights& weights, std::int64_t stride) {
  const auto channels = static_cast<std::int64_t>(weights.shape(0));
  const auto width = static_cast<std::int64_t>(weights.shape(1));
  AlignedFloats table(static_cast<std::size_t>(width * stride), 0.0f);
  for (std::int64_t c = 0; c < channels; ++c)
    for (std::int64_t f = 0; f < width; ++f) table[static_cast<std::size_t>(f * stride + c)] = weights(c, f);
  return table;
}

class CpuLookupBackend final : public Backend {
 public:
  explicit CpuLookupBackend(const BackendOptions& options) : options_(options) {}

  std::string_view name() const override { return "cpu"; }

 protected:
  void compute(const Problem& problem, const PairOutput& out) const override {
    const std::int64_t channels = problem.config.c_z;
    const std::int64_t stride = table_stride(channels);
    const AlignedFloats table = padded_table(problem.weights, stride);
    const Layout& layout = problem.layout;

    detail::LookupRows shared;
    shared.params = problem.bins();
    shared.tokens = layout.tokens();
    shared.channels = channels;
    shared.table = table.data();
    shared.table_stride = stride;
    shared.asym_id = layout.asym_id.data();
    shared.residue_index = layout.residue_index.data();
    shared.entity_id = layout.entity_id.data();
    shared.sym_id = layout.sym_id.data();
    shared.token_index = layout.token_index.data();
    shared.mode = out.mode;
    shared.out = out.data;
    // Non-temporal stores need every vector aligned: 64-byte base and whole vectors per pair.
    const bool aligned = reinterpret_cast<std::uintptr_t>(out.data) % 64 == 0 && channels % kTableAlignmentFloats == 0;
    const bool large = out.bytes() >= kStreamingThresholdBytes;
    const bool wanted = options_.streaming == Streaming::always || (options_.streaming == Streaming::automatic && large);
    shared.streaming = aligned && out.mode != OutputMode::accumulate && wanted;

    const std::int64_t rows = layout.batch() * layout.tokens();
    const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const std::int64_t workers = std::clamp<std::int64_t>(options_.threads > 0 ? options_.threads : hardware, 1, rows);
    auto kernel = xsimd::dispatch<xsimd::arch_list<xsimd::avx512bw, xsimd::avx2, xsimd::sse2>>(detail::LookupKernel{});

    // Static contiguous row ranges: each thread first-touches the pages it writes.
    auto range = [&](std::int64_t w) {
      detail::LookupRows part = shared;
      part.row_begin = rows * w / workers;
      part.row_end = rows * (w + 1) / workers;
      return part;
    };
    if (workers == 1) {
      kernel(range(0));
      return;
    }
    std::vector<std::jthread> pool;
    pool.reserve(static_cast<std::size_t>(workers - 1));
    for (std::int64_t w = 1; w < workers; ++w) pool.emplace_back([&, w] { kernel(range(w)); });
    kernel(range(0));
  }

 private:
  BackendOptions options_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_lookup_backend(const BackendOptions& options) {
  return std::make_unique<CpuLookupBackend>(options);
}

std::size_t cpu_lookup_workspace_bytes(const Config& config) {
  return static_cast<std::size_t>(config.feature_width() * table_stride(config.c_z)) * sizeof(float);
}

}  // namespace relpos
