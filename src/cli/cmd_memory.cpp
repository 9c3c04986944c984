#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/bench/memory_model.hpp"
#include "relpos/errors.hpp"

namespace relpos::cli {
namespace {

struct MemoryArgs {
  MemoryShape shape;
  std::string mode = "fp32";
  std::string variant = "af3";
  bool details = false;
};

// The backward of every backend that has one: what it holds beyond G and dW (both the caller's).
void print_backward_memory(const MemoryShape& shape) {
  const std::uint64_t g_bytes = static_cast<std::uint64_t>(shape.pairs()) * static_cast<std::uint64_t>(shape.config.c_z) * 4;
  std::printf("\nbackward (weight gradient, fp32): reads G [B, N, N, c_z] = %s once, writes dW [c_z, F]\n",
              bench::format_bytes(g_bytes).c_str());
  Table table({"backend", "beyond G and dW", "live at the peak"});
  for (const std::string& name : backend_names()) {
    const auto backend = make_backend(name, {.threads = shape.threads});
    if (!backend->has_backward()) continue;
    const Workspace workspace = backend->backward_workspace(shape);
    std::uint64_t extra = 0;
    std::string live;
    for (const LiveBuffer& buffer : workspace.buffers) {
      extra += buffer.bytes;
      live += fmt::format("{}{} {}", live.empty() ? "" : " + ", buffer.name, bench::format_bytes(buffer.bytes));
    }
    table.add({name, bench::format_bytes(extra), live.empty() ? workspace.description : live});
  }
  std::fputs(table.str().c_str(), stdout);
}

int run_memory(MemoryArgs& args) {
  MemoryShape& shape = args.shape;
  shape.config.variant = parse_variant(args.variant);
  shape.mode = parse_output_mode(args.mode);
  validate(shape.config);
  if (shape.tokens < 1 || shape.tokens > (std::int64_t{1} << 20))
    throw InputError(fmt::format("memory: --n {} is outside 1..{}", shape.tokens, std::int64_t{1} << 20));
  if (shape.chunk_rows < 1)
    throw InputError(fmt::format("memory: --chunk-rows {} must be at least 1", shape.chunk_rows));

  const bool accumulate = shape.mode == OutputMode::accumulate;
  std::printf("memory model at N = %lld, c_z = %d, F = %lld (r_max %d, s_max %d), mode %s%s\n",
              static_cast<long long>(shape.tokens), shape.config.c_z,
              static_cast<long long>(shape.config.feature_width()), shape.config.r_max, shape.config.s_max,
              args.mode.c_str(), accumulate ? " (into an existing z, not counted)" : "");
  Table table({"path", "peak", accumulate ? "beyond z" : "beyond output", "live at the peak"});
  for (const bench::PathMemory& path : bench::memory_model(shape)) {
    std::string live;
    for (const LiveBuffer& buffer : path.live_at_peak)
      live += fmt::format("{}{} {}", live.empty() ? "" : " + ", buffer.name, bench::format_bytes(buffer.bytes));
    table.add({path.path, bench::format_bytes(path.peak_bytes), bench::format_bytes(path.extra_bytes), live});
  }
  std::fputs(table.str().c_str(), stdout);
  if (args.details)
    for (const bench::PathMemory& path : bench::memory_model(shape))
      std::printf("%s: %s%s%s\n", path.path.c_str(), path.description.c_str(), path.note.empty() ? "" : "; ",
                  path.note.c_str());
  print_backward_memory(shape);
  std::printf("GB = 1e9 bytes. PyTorch paths in fp32 inference (no autograd); allocator caching not modelled.\n");
  return kExitOk;
}

}  // namespace

void register_memory(CLI::App& root, Commands& commands) {
  auto args = std::make_shared<MemoryArgs>();
  CLI::App* app = root.add_subcommand("memory", "The memory model of every path at one size");
  app->add_option("--n", args->shape.tokens, "tokens N")->required();
  app->add_option("--c-z", args->shape.config.c_z, "pair channels (default 128)");
  app->add_option("--r-max", args->shape.config.r_max, "residue/token clip (default 32)");
  app->add_option("--s-max", args->shape.config.s_max, "chain clip (default 2)");
  app->add_option("--variant", args->variant, "af3 (default) or paper")->check(CLI::IsMember({"af3", "paper"}));
  app->add_option("--chunk-rows", args->shape.chunk_rows, "our onehot's pair rows per block (default 65536)");
  app->add_option("--threads", args->shape.threads,
                  "OpenBLAS threads for onehot-blas (default 1; more adds a packed copy of the feature block)")
      ->check(CLI::PositiveNumber);
  app->add_option("--batch", args->shape.batch, "batch size B (default 1)")->check(CLI::PositiveNumber);
  app->add_option("--mode", args->mode, "fp32 (default), bf16 or accumulate")
      ->check(CLI::IsMember({"fp32", "bf16", "accumulate"}));
  app->add_flag("--details", args->details, "also describe each path");
  commands.push_back({app, [args] { return run_memory(*args); }});
}

}  // namespace relpos::cli
