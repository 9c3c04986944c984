#include "cli/property_runs.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos::cli {

void add_scope_options(CLI::App& app, ScopeArgs& args) {
  app.add_option("--model", args.model,
                 "the model you implement: protenix, pxdesign, af3, openfold3, boltz1, boltz2 (fixes variant, cyclic, "
                 "r_max, s_max, c_z and the precisions it runs; any flag below overrides its axis)");
  // One value per occurrence (or a comma list): `--precision bf16 file.h5` must leave the file positional.
  app.add_option("--variant", args.variants, "chain term(s): af3, paper (repeatable or comma list)")
      ->delimiter(',')
      ->allow_extra_args(false);
  app.add_option("--cyclic", args.cyclic, "cyclic form(s): none, boltz (repeatable or comma list)")
      ->delimiter(',')
      ->allow_extra_args(false);
  app.add_option("--precision", args.precisions,
                 "precision regime(s): fp32, bf16, bf16-autocast (repeatable or comma list)")
      ->delimiter(',')
      ->allow_extra_args(false);
  app.add_option("--r-max", args.r_max, "r_max the implementation supports (fixed)");
  app.add_option("--s-max", args.s_max, "s_max the implementation supports (fixed)");
  app.add_option("--c-z", args.c_z, "c_z the implementation supports (fixed)");
}

namespace {

template <class T, class Parse>
std::vector<T> parse_all(const std::vector<std::string>& names, Parse parse) {
  std::vector<T> values;
  for (const std::string& name : names) {
    const T value = parse(name);
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  }
  return values;
}

}  // namespace

harness::Scope scope_from(const ScopeArgs& args) {
  harness::Scope scope = args.model.empty() ? harness::Scope{} : harness::preset_scope(args.model);
  if (!args.variants.empty()) scope.variants = parse_all<Variant>(args.variants, parse_variant);
  if (!args.cyclic.empty()) scope.cyclic = parse_all<Cyclic>(args.cyclic, parse_cyclic);
  if (!args.precisions.empty()) scope.precisions = parse_all<Precision>(args.precisions, parse_precision);
  if (args.r_max) scope.r_max = args.r_max;
  if (args.s_max) scope.s_max = args.s_max;
  if (args.c_z) scope.c_z = args.c_z;
  try {
    harness::validate(scope);
  } catch (const InputError& e) {
    throw InputError(fmt::format("scope: {}", e.what()));
  }
  return scope;
}

void add_suite_options(CLI::App& app, SuiteArgs& args, int default_cases, bool selection) {
  add_scope_options(app, args.scope);
  app.add_option("--cases", args.cases, fmt::format("generated cases per property (default {}; RC_PARAMS max_success)", default_cases))
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", args.seed,
                 fmt::format("seed, decimal or 0x-hex (default {:#x}, fixed and printed; RC_PARAMS seed)",
                             harness::kDefaultSeed));
  app.add_option("--max-size", args.max_size, "RapidCheck size reached by the last case (default 100)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--no-shrink", args.no_shrink, "report the first failing case as found");
  app.add_option("--shard", args.shard,
                 "run slice I of N (I = 0 .. N-1): its own seeds and every N-th saved case, so N machines run N times "
                 "the budget (GTEST_SHARD_INDEX / GTEST_TOTAL_SHARDS do the same); merge the --json reports with "
                 "`relpos report merge`");
  app.add_flag("--progress", args.progress,
               "a progress line on stderr even when it is not a terminal (on a terminal it is always shown)");
  if (!selection) return;
  app.add_flag("--fail-fast", args.fail_fast, "stop after the first property that fails (its counterexample shrunk)");
  app.add_option("--property", args.properties, "run only these properties (repeatable; default: all that apply)");
  app.add_option("--policy", args.policy,
                 "comparison policy (default: bitwise for exact-order implementations, otherwise bound:6 in fp32 and "
                 "rbound:6 in the bf16 regimes)");
  app.add_option("--regressions", args.regressions,
                 "directory of saved regression cases to replay first (default: the source tree's "
                 "tests/regressions; 'none' to skip)");
}

std::filesystem::path default_regression_dir() {
  if (const char* env = std::getenv("RELPOS_REGRESSIONS"); env != nullptr && *env != '\0') return env;
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const std::filesystem::path beside = self.parent_path().parent_path() / "tests" / "regressions";
    if (std::filesystem::is_directory(beside, error)) return beside;
  }
  return "tests/regressions";
}

std::string shard_text(const harness::Shard& shard) {
  return shard.total > 1 ? fmt::format(", shard {}/{}", shard.index, shard.total) : std::string();
}

harness::ProveOptions suite_options(const SuiteArgs& args, int default_cases) {
  harness::ProveOptions defaults;
  defaults.cases = default_cases;
  harness::ProveOptions options = harness::options_from_environment(defaults);
  if (args.cases) options.cases = *args.cases;
  if (!args.seed.empty()) {
    try {
      std::size_t used = 0;
      options.seed = std::stoull(args.seed, &used, 0);
      if (used != args.seed.size()) throw std::invalid_argument("trailing characters");
    } catch (const std::exception&) {
      throw InputError(fmt::format("--seed: '{}' is not a decimal or 0x-hex 64-bit number", args.seed));
    }
  }
  if (args.max_size) options.max_size = *args.max_size;
  if (!args.shard.empty()) options.shard = harness::parse_shard(args.shard);
  if (args.no_shrink) options.shrink = false;
  if (args.fail_fast) options.stop_at_first_failure = true;
  options.scope = scope_from(args.scope);
  for (const std::string& name : args.properties) options.properties.push_back(harness::parse_property(name));
  if (!args.policy.empty()) options.policy = Policy::parse(args.policy);
  if (args.regressions != "none") {
    const std::filesystem::path directory =
        args.regressions.empty() ? default_regression_dir() : std::filesystem::path(args.regressions);
    if (!args.regressions.empty() && !std::filesystem::is_directory(directory))
      throw InputError(fmt::format("--regressions: {}: no such directory", directory.string()));
    options.regressions = harness::load_regressions(directory);
    options.record_directory = directory;
  }
  return options;
}

}  // namespace relpos::cli
