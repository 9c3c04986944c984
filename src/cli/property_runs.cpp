#include "cli/property_runs.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos::cli {

void add_suite_options(CLI::App& app, SuiteArgs& args, int default_cases, bool selection) {
  app.add_option("--cases", args.cases, fmt::format("generated cases per property (default {}; RC_PARAMS max_success)", default_cases))
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", args.seed,
                 fmt::format("seed, decimal or 0x-hex (default {:#x}, fixed and printed; RC_PARAMS seed)",
                             harness::kDefaultSeed));
  app.add_option("--max-size", args.max_size, "RapidCheck size reached by the last case (default 100)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--no-shrink", args.no_shrink, "report the first failing case as found");
  if (!selection) return;
  app.add_option("--property", args.properties, "run only these properties (repeatable; default: all that apply)");
  app.add_option("--policy", args.policy,
                 "comparison policy (default: bitwise for exact-order implementations, bound:6 otherwise)");
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
  if (args.no_shrink) options.shrink = false;
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
