#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/bench/memory_model.hpp"
#include "relpos/enum_names.hpp"

namespace relpos::cli {
namespace {

std::string_view role_text(BenchRole role) {
  static constexpr auto kNames = enum_names<BenchRole>("lookup", "sequential reference", "one-hot + BLAS original");
  return kNames(role);
}

std::string space_text(MemorySpace space) { return space == MemorySpace::host ? "host" : "device"; }

}  // namespace

void register_backends(CLI::App& root, Commands& commands) {
  CLI::App* app = root.add_subcommand("backends", "List every registered backend, as it describes itself, and whether it can run here");
  commands.push_back({app, [] {
                        // The workspace column: each backend's own memory model at N = 1024, fp32, c_z = 128.
                        MemoryShape shape;
                        shape.tokens = 1024;
                        Table table({"backend", "available", "role", "held to (fp32 / bf16 regimes)", "writes",
                                     "extra memory at N=1024", "detail"});
                        for (const BackendEntry& entry : registered_backends()) {
                          const auto backend = entry.make({});
                          const Availability availability = backend->availability();
                          const MemorySpace native = backend->native_space();
                          const std::string writes =
                              backend->accepts(native == MemorySpace::host ? MemorySpace::device : MemorySpace::host)
                                  ? "host, device"
                                  : space_text(native);
                          table.add({entry.name, availability.available ? "yes" : "no",
                                     std::string(role_text(backend->traits().role)),
                                     fmt::format("{} / {}", backend->policy(Precision::fp32).str(),
                                                 backend->policy(Precision::bf16_autocast).str()),
                                     writes,
                                     bench::format_bytes(bench::backend_memory_model(entry.name, shape).extra_bytes),
                                     availability.detail});
                        }
                        std::fputs(table.str().c_str(), stdout);
                        std::printf("\n");
                        for (const BackendEntry& entry : registered_backends())
                          std::printf("%s: %s\n", entry.name.c_str(), entry.summary.c_str());
                        return 0;
                      }});
}

}  // namespace relpos::cli
