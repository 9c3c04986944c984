#pragma once
// What prove, mutants and check share: the suite's command-line options and
// where saved regression cases live.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "relpos/harness/prove_options.hpp"

namespace relpos::cli {

/// The scope flags as given (empty / unset: not given).
struct ScopeArgs {
  std::string model;
  std::vector<std::string> variants, cyclic, precisions;  ///< repeatable, or comma lists
  std::optional<std::int32_t> r_max, s_max, c_z;
};

/// --model, --variant, --cyclic, --precision, --r-max, --s-max, --c-z bound to `args`.
void add_scope_options(CLI::App& app, ScopeArgs& args);

/// The preset's scope (--model), each other flag given replacing that axis. Throws InputError.
harness::Scope scope_from(const ScopeArgs& args);

/// The flags as given (empty / unset: not given).
struct SuiteArgs {
  std::optional<int> cases;
  std::string seed;  ///< decimal or 0x-hex
  std::optional<int> max_size;
  std::vector<std::string> properties;
  std::string policy;
  bool no_shrink = false;
  bool fail_fast = false;
  std::string regressions;  ///< directory, or "none"
  std::string shard;        ///< "I/N", or empty
  bool progress = false;    ///< a progress line on stderr even when it is not a terminal
  ScopeArgs scope;
};

/// --cases, --seed, --max-size, --no-shrink, --shard, --progress, the scope flags (and, when
/// `selection`, --property, --policy, --regressions) bound to `args`.
void add_suite_options(CLI::App& app, SuiteArgs& args, int default_cases, bool selection = true);

/// ProveOptions: `default_cases`, then RC_PARAMS and the shard variables, then the flags.
/// Loads the saved regression cases unless --regressions none.
harness::ProveOptions suite_options(const SuiteArgs& args, int default_cases);

/// ", shard I/N" for a sharded run, empty otherwise.
std::string shard_text(const harness::Shard& shard);

/// tests/regressions of the source tree: $RELPOS_REGRESSIONS, else
/// <dir of relpos>/../tests/regressions, else ./tests/regressions.
std::filesystem::path default_regression_dir();

}  // namespace relpos::cli
