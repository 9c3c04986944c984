#include "relpos/bench/memory_model.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"

namespace relpos::bench {
namespace {

using Phase = std::vector<LiveBuffer>;

std::uint64_t total(const Phase& phase) {
  std::uint64_t sum = 0;
  for (const LiveBuffer& buffer : phase) sum += buffer.bytes;
  return sum;
}

// The phase holding the most memory is the path's peak.
PathMemory peak_of(std::string path, std::string description, const std::vector<Phase>& phases,
                   std::uint64_t output_bytes, bool accumulate, std::string note = {}) {
  const auto largest = std::max_element(phases.begin(), phases.end(),
                                        [](const Phase& a, const Phase& b) { return total(a) < total(b); });
  PathMemory memory{std::move(path), std::move(description), total(*largest), 0, *largest, std::move(note)};
  memory.extra_bytes = accumulate ? memory.peak_bytes : memory.peak_bytes - std::min(memory.peak_bytes, output_bytes);
  return memory;
}

std::uint64_t u(std::int64_t value) { return static_cast<std::uint64_t>(value); }

}  // namespace

std::vector<PathMemory> pytorch_memory_model(const MemoryShape& shape) {
  const std::uint64_t pairs = u(shape.pairs());
  const std::uint64_t width = u(shape.config.feature_width());
  const std::uint64_t channels = u(shape.config.c_z);
  const bool accumulate = shape.mode == OutputMode::accumulate;
  // PyTorch runs these paths in fp32: the result is an fp32 [N, N, c_z] tensor
  // (new memory whether it is returned or added into an existing z).
  const std::uint64_t result = pairs * channels * 4;
  const std::string result_name = accumulate ? "fp32 p before z += p" : "fp32 output";

  const LiveBuffer one_hots{"int64 one-hots", pairs * (width - 1) * 8};
  const LiveBuffer entity_mask{"int64 entity mask", pairs * 8};
  const LiveBuffer bins{"int64 bins+masks", pairs * 5 * 8};
  const LiveBuffer concatenation{"int64 concat", pairs * width * 8};
  const LiveBuffer features{"fp32 features", pairs * width * 4};
  const LiveBuffer output{result_name, result};

  std::vector<PathMemory> paths;
  paths.push_back(
      peak_of("pytorch-original", "one-hot + concat + .float() + linear, as AF3-family modules write Algorithm 3",
              {{bins, one_hots, entity_mask, concatenation, features}, {bins, one_hots, entity_mask, features, output}},
              result, accumulate, "peak while .float() copies the int64 concatenation"));

  // PXDesign / Protenix eval: the bins are deleted, the one-hots stay, and the
  // N*N rows go through cat/.float()/linear in 8 chunks when N >= 3200.
  const std::int64_t chunks = shape.tokens >= 3200 ? 8 : 1;
  const std::uint64_t chunk_rows = (pairs + u(chunks) - 1) / u(chunks);
  const LiveBuffer chunk_cat{"int64 concat chunk", chunk_rows * width * 8};
  const LiveBuffer chunk_features{"fp32 features chunk", chunk_rows * width * 4};
  const LiveBuffer chunk_result{"fp32 result chunk", chunk_rows * channels * 4};
  std::vector<Phase> chunked = {{one_hots, entity_mask, chunk_cat, chunk_features},
                                {one_hots, entity_mask, chunk_features, chunk_result},
                                {one_hots, entity_mask, chunk_result, output}};
  if (chunks > 1) {
    chunked.push_back({one_hots, entity_mask, output, chunk_cat, chunk_features});
    chunked.push_back({one_hots, entity_mask, output, chunk_features, chunk_result});
  }
  paths.push_back(peak_of(
      "pxdesign-chunked",
      fmt::format("eval path: one-hots kept, rows in {} chunk{} (8 when N >= 3200)", chunks, chunks == 1 ? "" : "s"),
      chunked, result, accumulate));

  paths.push_back(peak_of("protenix-precomputed", "fp32 features built once per forward, then z += linear(x)",
                          {{features, LiveBuffer{accumulate ? "fp32 linear(x) before z +=" : "fp32 output", result}}},
                          result, accumulate, "building x once also passes through the original's one-hot peak"));

  const LiveBuffer lookup_bins{"int64 bins", pairs * 4 * 8};
  const LiveBuffer gathered{"2 more fp32 [N,N,c_z]", 2 * result};
  paths.push_back(peak_of("pytorch-lookup-pr", "the PR's PyTorch lookup: gather W columns by bin and add",
                          {{lookup_bins, gathered, output}}, result, accumulate, "three [N, N, c_z] tensors live"));
  return paths;
}

PathMemory backend_memory_model(const std::string& name, const MemoryShape& shape) {
  const bool accumulate = shape.mode == OutputMode::accumulate;
  const std::uint64_t output = shape.output_bytes();
  Workspace workspace = make_backend(name)->workspace(shape);
  Phase live;
  if (!accumulate)
    live.push_back({fmt::format("{} output", shape.mode == OutputMode::write_bf16 ? "bf16" : "fp32"), output});
  live.insert(live.end(), workspace.buffers.begin(), workspace.buffers.end());
  return peak_of(name, std::move(workspace.description), {live}, output, accumulate, std::move(workspace.note));
}

std::vector<PathMemory> memory_model(const MemoryShape& shape) {
  std::vector<PathMemory> paths = pytorch_memory_model(shape);
  for (const BackendEntry& entry : registered_backends())
    if (entry.make({})->native_space() == MemorySpace::host) paths.push_back(backend_memory_model(entry.name, shape));
  return paths;
}

std::string format_bytes(std::uint64_t bytes) {
  const double value = static_cast<double>(bytes);
  if (bytes < 1000) return fmt::format("{} B", bytes);
  if (bytes < 1000'000) return fmt::format("{:.1f} kB", value / 1e3);
  if (bytes < 1000'000'000) return fmt::format("{:.1f} MB", value / 1e6);
  return fmt::format("{:.1f} GB", value / 1e9);
}

}  // namespace relpos::bench
