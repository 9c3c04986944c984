#include <cstdio>

#include "cli/commands.hpp"

namespace relpos::cli {

void register_backends(CLI::App& root, Commands& commands) {
  CLI::App* app = root.add_subcommand("backends", "List every backend and whether it can run here");
  commands.push_back({app, [] {
                        Table table({"backend", "available", "summation", "detail"});
                        for (std::string_view name : backend_names()) {
                          const auto backend = make_backend(name);
                          const Availability availability = backend->availability();
                          table.add({std::string(name), availability.available ? "yes" : "no",
                                     backend->exact_order() ? "reference order (bitwise)" : "reordered (bound:6 fp32, rbound:6 bf16 regimes)",
                                     availability.detail});
                        }
                        std::fputs(table.str().c_str(), stdout);
                        return 0;
                      }});
}

}  // namespace relpos::cli
