#pragma once
// Each subcommand registers itself on the root app (one file per subcommand).
#include "cli/cli_common.hpp"

namespace relpos::cli {

void register_compute(CLI::App& root, Commands& commands);
void register_verify(CLI::App& root, Commands& commands);
void register_check(CLI::App& root, Commands& commands);
void register_backends(CLI::App& root, Commands& commands);
void register_bench(CLI::App& root, Commands& commands);
void register_memory(CLI::App& root, Commands& commands);
void register_prove(CLI::App& root, Commands& commands);
void register_mutants(CLI::App& root, Commands& commands);
void register_fixtures(CLI::App& root, Commands& commands);
void register_report(CLI::App& root, Commands& commands);

}  // namespace relpos::cli
