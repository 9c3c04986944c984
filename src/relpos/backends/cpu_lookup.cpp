#include "relpos/backends/cpu_lookup.hpp"

#include <algorithm>
#include <thread>
#include <vector>
#include <fmt/format.h>
#include <xsimd/xsimd.hpp>

#include "relpos/backends/cpu_backward.hpp"
#include "relpos/backends/cpu_lookup_kernel.hpp"
#include "relpos/system.hpp"

namespace relpos {
namespace {

constexpr std::int64_t kTableAlignmentFloats = 16;  // 64 bytes: one AVX-512 vector, one cache line
// The pair table must stay small next to the caches (and the 1 MiB workspace
// budget): 203 KB fp32 for the defaults (af3), twice that for the paper variant.
constexpr std::size_t kMaxPairTableBytes = std::size_t{512} << 10;

using AlignedFloats = std::vector<float, xsimd::aligned_allocator<float, 64>>;
using AlignedBf16 = std::vector<bf16_bits, xsimd::aligned_allocator<bf16_bits, 64>>;

std::int64_t table_stride(std::int64_t channels) {
  return (channels + kTableAlignmentFloats - 1) / kTableAlignmentFloats * kTableAlignmentFloats;
}

// W^T with rows padded to `stride`, each weight as the precision regime sums it.
AlignedFloats padded_table(const Weights& weights, std::int64_t stride, Precision precision) {
  const auto channels = static_cast<std::int64_t>(weights.shape(0));
  const auto width = static_cast<std::int64_t>(weights.shape(1));
  AlignedFloats table(static_cast<std::size_t>(width * stride), 0.0f);
  for (std::int64_t c = 0; c < channels; ++c)
    for (std::int64_t f = 0; f < width; ++f)
      table[static_cast<std::size_t>(f * stride + c)] = regime_weight(precision, weights(c, f));
  return table;
}

std::int64_t pair_table_rows(const Config& config) {
  return (2 * std::int64_t{config.r_max} + 2) * detail::chain_key_count(bin_params(config));
}

// Elements per pair-table row: whole 64-byte lines of fp32 or bf16 values.
std::int64_t pair_stride(std::int64_t channels, OutputMode mode) {
  const std::int64_t per_line = mode == OutputMode::write_bf16 ? 32 : 16;
  return (channels + per_line - 1) / per_line * per_line;
}

std::size_t pair_table_bytes(const Config& config, OutputMode mode) {
  const std::size_t element = mode == OutputMode::write_bf16 ? sizeof(bf16_bits) : sizeof(float);
  return static_cast<std::size_t>(pair_table_rows(config) * pair_stride(config.c_z, mode)) * element;
}

bool uses_pair_table(const Config& config, OutputMode mode) {
  return pair_table_bytes(config, mode) <= kMaxPairTableBytes;
}

// Every finished sum a pair with the "other" token bin can have, added exactly
// as the kernel adds the four terms: ((res + tok) + entity) + chain, then
// rounded as the regime says.
template <class Store>
void fill_pair_table(const Config& config, const AlignedFloats& table, std::int64_t stride, Store&& store) {
  const BinParams params = bin_params(config);
  const std::int64_t channels = config.c_z;
  const std::int64_t chain_keys = detail::chain_key_count(params);
  const float* tok = table.data() + (config.token_offset() + 2 * config.r_max + 1) * stride;
  const float* ent = table.data() + config.entity_column() * stride;
  for (std::int64_t d_res = 0; d_res <= 2 * std::int64_t{config.r_max} + 1; ++d_res) {
    const float* res = table.data() + d_res * stride;
    for (std::int64_t key = 0; key < chain_keys; ++key) {
      const bool same_entity =
          params.chain_term_on_same_entity ? key != 2 * params.s_max + 1 : key >= 2 * params.s_max + 2;
      const std::int64_t d_chain = params.chain_term_on_same_entity ? key : key % (2 * params.s_max + 2);
      const float* chain = table.data() + (config.chain_offset() + d_chain) * stride;
      for (std::int64_t c = 0; c < channels; ++c) {
        float sum = res[c] + tok[c];
        if (same_entity) sum += ent[c];
        sum += chain[c];
        store(d_res * chain_keys + key, c, regime_result(config.precision, sum));
      }
    }
  }
}

// For the first column of each maximal run of equal (asym, entity, sym): the
// run's end, and its flags (detail::kSegmentSorted, detail::kSegmentCyclic).
struct ChainSegments {
  std::vector<std::int64_t> end;
  std::vector<std::uint8_t> flags;
};

ChainSegments chain_segments(const Layout& layout) {
  const std::int64_t n = layout.tokens();
  ChainSegments segments{std::vector<std::int64_t>(static_cast<std::size_t>(layout.batch() * n), 0),
                         std::vector<std::uint8_t>(static_cast<std::size_t>(layout.batch() * n), 0)};
  for (std::int64_t b = 0; b < layout.batch(); ++b) {
    std::int64_t start = 0;
    bool sorted = true;
    bool cyclic = n > 0 && layout.period(b, 0) > 0;
    for (std::int64_t j = 1; j <= n; ++j) {
      const bool split = j == n || layout.asym_id(b, j) != layout.asym_id(b, start) ||
                         layout.entity_id(b, j) != layout.entity_id(b, start) ||
                         layout.sym_id(b, j) != layout.sym_id(b, start);
      if (!split) {
        sorted = sorted && layout.residue_index(b, j - 1) <= layout.residue_index(b, j);
        cyclic = cyclic || layout.period(b, j) > 0;
        continue;
      }
      const auto at = static_cast<std::size_t>(b * n + start);
      segments.end[at] = j;
      segments.flags[at] = static_cast<std::uint8_t>((sorted ? detail::kSegmentSorted : 0) |
                                                     (cyclic ? detail::kSegmentCyclic : 0));
      start = j;
      sorted = true;
      cyclic = j < n && layout.period(b, j) > 0;
    }
  }
  return segments;
}

// The vectorised key arithmetic forms (row + r) - column: safe for ids within +-2^61.
bool ids_are_small(const Layout& layout) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 61;
  auto small = [&](const IdArray& ids) {
    return std::all_of(ids.begin(), ids.end(), [](std::int64_t v) { return v >= -kLimit && v <= kLimit; });
  };
  return small(layout.residue_index) && small(layout.sym_id);
}

class CpuLookupBackend final : public Backend {
 public:
  explicit CpuLookupBackend(const BackendOptions& options) : options_(options) {}

  std::string_view name() const override { return "cpu"; }
  Availability availability() const override {
    return {true, fmt::format("built in, {} kernel", cpu_lookup_instruction_set())};
  }
  BackendTraits traits() const override {
    return {.role = BenchRole::lookup, .threaded = true, .instruction_set = std::string(cpu_lookup_instruction_set())};
  }
  bool has_backward() const override { return true; }
  bool backward_deterministic() const override { return true; }
  Workspace backward_workspace(const MemoryShape& shape) const override {
    return {"fused weight gradient: one pass over G, fixed row slots summed in slot order (bitwise for any thread count)",
            {{fmt::format("{} partial dW tables [F, c_z]", kGradientSlots), cpu_weight_gradient_bytes(shape.config)}},
            {}};
  }
  Workspace workspace(const MemoryShape& shape) const override {
    return {"this project's fused CPU lookup: writes (or adds) straight into the pair tensor",
            {{"W^T + pair table + segments",
              cpu_lookup_workspace_bytes(shape.config, shape.mode, shape.batch * shape.tokens)}},
            {}};
  }

 protected:
  void compute(const Problem& problem, const PairOutput& out) const override {
    const std::int64_t channels = problem.config.c_z;
    const std::int64_t stride = table_stride(channels);
    const AlignedFloats table = padded_table(problem.weights, stride, problem.config.precision);
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
    shared.cyclic_period = layout.has_periods() ? layout.cyclic_period.data() : nullptr;
    shared.mode = out.mode;
    shared.round_result = rounds_result(problem.config.precision);
    shared.out = out.data;

    AlignedFloats pair_fp32;
    AlignedBf16 pair_bf16;
    ChainSegments segments;
    if (uses_pair_table(problem.config, out.mode)) {
      const std::int64_t rows = pair_table_rows(problem.config);
      const std::int64_t row_stride = pair_stride(channels, out.mode);
      if (out.mode == OutputMode::write_bf16) {
        pair_bf16.assign(static_cast<std::size_t>(rows * row_stride), bf16_bits{0});
        fill_pair_table(problem.config, table, stride, [&](std::int64_t key, std::int64_t c, float sum) {
          pair_bf16[static_cast<std::size_t>(key * row_stride + c)] = bf16_round(sum);
        });
        shared.pair_table = pair_bf16.data();
      } else {
        pair_fp32.assign(static_cast<std::size_t>(rows * row_stride), 0.0f);
        fill_pair_table(problem.config, table, stride, [&](std::int64_t key, std::int64_t c, float sum) {
          pair_fp32[static_cast<std::size_t>(key * row_stride + c)] = sum;
        });
        shared.pair_table = pair_fp32.data();
      }
      shared.pair_stride = row_stride;
      shared.chain_keys = detail::chain_key_count(shared.params);
      shared.small_ids = ids_are_small(layout);
      segments = chain_segments(layout);
      shared.segment_end = segments.end.data();
      shared.segment_flags = segments.flags.data();
    }
    // Non-temporal stores need every vector aligned: 64-byte base and whole vectors per pair.
    const bool aligned = reinterpret_cast<std::uintptr_t>(out.data) % 64 == 0 && channels % kTableAlignmentFloats == 0;
    // automatic = regular stores. Measured here (docs/benchmarks.md): the runs
    // write whole 64-byte lines, which reach memset speed through the cache,
    // while non-temporal stores came out 5-30% slower in most runs, even for
    // outputs far beyond the last-level cache. `always` still streams.
    const bool wanted = options_.streaming == Streaming::always;
    shared.streaming = aligned && out.mode != OutputMode::accumulate && wanted;

    const std::int64_t rows = layout.batch() * layout.tokens();
    const std::int64_t workers =
        std::clamp<std::int64_t>(options_.threads > 0 ? options_.threads : usable_cores(), 1, rows);
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

  void compute_backward(const Problem& problem, std::span<const float> grad_output,
                        std::span<float> grad_weight) const override {
    cpu_weight_gradient(problem, grad_output, grad_weight, options_.threads);
  }

 private:
  BackendOptions options_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_lookup_backend(const BackendOptions& options) {
  return std::make_unique<CpuLookupBackend>(options);
}

std::size_t cpu_lookup_workspace_bytes(const Config& config, OutputMode mode, std::int64_t batch_tokens) {
  const std::size_t weights =
      static_cast<std::size_t>(config.feature_width() * table_stride(config.c_z)) * sizeof(float);
  if (!uses_pair_table(config, mode)) return weights;
  const std::size_t segments = static_cast<std::size_t>(batch_tokens) * (sizeof(std::int64_t) + sizeof(std::uint8_t));
  return weights + pair_table_bytes(config, mode) + segments;
}

std::string_view cpu_lookup_instruction_set() {
  // The rule xsimd::dispatch applies to the kernel's arch list.
  const unsigned best = xsimd::available_architectures().best;
  if (best >= xsimd::avx512bw::version()) return "avx512bw";
  if (best >= xsimd::avx2::version()) return "avx2";
  return "sse2";
}

}  // namespace relpos
