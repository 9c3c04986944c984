#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/progress_line.hpp"
#include "cli/property_runs.hpp"
#include "cli/verification.hpp"
#include "relpos/errors.hpp"
#include "relpos/harness/candidate.hpp"
#include "relpos/harness/prove.hpp"

namespace relpos::cli {
namespace {

/// The property budget of `relpos check`: small enough to keep `tools/run check` quick.
constexpr int kCheckCases = 60;

struct CheckArgs {
  std::string fixtures;
  std::string candidate_command;
  double timeout = 60;
  bool backward = false;
  BackendOptions options;
  SuiteArgs suite;
};

// What the gate checks: the external candidate, or every registered backend.
std::vector<harness::Implementation> subjects(const CheckArgs& args) {
  if (args.candidate_command.empty()) return backend_subjects(select_backends({}), args.options);
  harness::CandidateOptions candidate;
  candidate.command = args.candidate_command;
  candidate.timeout_seconds = args.timeout;
  candidate.model = scope_from(args.suite.scope).model;
  candidate.backward = args.backward;
  return {harness::candidate_implementation(candidate)};
}

// Every subject that can run here through the property suite; prints a report for each.
bool check_properties(const CheckArgs& args, const std::vector<harness::Implementation>& checked) {
  harness::ProveOptions options = suite_options(args.suite, kCheckCases);
  std::printf("\n== properties: %d cases per property, seed %#llx%s, %zu saved case(s) replayed first\n",
              options.cases, static_cast<unsigned long long>(options.seed), shard_text(options.shard).c_str(),
              options.regressions.size());
  std::fflush(stdout);
  bool passed = true;
  harness::Coverage coverage(options.scope);
  ProgressLine progress(args.suite.progress);
  options.progress = progress.callback();
  for (const harness::Implementation& subject : checked) {
    const harness::Report report = harness::prove(subject, options);
    progress.clear();
    std::printf("%s", report.text().c_str());
    std::fflush(stdout);
    passed = passed && report.passed();
    if (coverage.cases() == 0) coverage = report.coverage;  // every backend sees the same cases
  }
  std::printf("%s", coverage.table().c_str());
  if (!coverage.complete()) {
    std::printf("coverage: INCOMPLETE at this budget (%zu labels never hit); raise --cases\n", coverage.missing().size());
    passed = false;
  }
  return passed;
}

}  // namespace

void register_check(CLI::App& root, Commands& commands) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* app = root.add_subcommand(
      "check", "The CI gate: every fixture with every available backend (or an external candidate), then the property suite "
      "and coverage on each");
  app->add_option("--fixtures", args->fixtures, "fixture directory (default: the source tree's fixtures/)");
  app->add_option("--candidate-cmd", args->candidate_command,
                  "gate an external program (docs/candidate-protocol.md) instead of the backends: the fixtures "
                  "within the scope through it, then the property suite and coverage");
  app->add_option("--timeout", args->timeout, "candidate: seconds allowed per case (default 60)")
      ->check(CLI::PositiveNumber);
  app->add_flag("--backward", args->backward,
                "candidate: also gate its weight gradient (gradient fixtures and the grad-* properties)");
  add_backend_options(*app, args->options);
  add_suite_options(*app, args->suite, kCheckCases, false);
  commands.push_back({app, [args] {
                        const std::filesystem::path directory =
                            args->fixtures.empty() ? default_fixture_dir() : std::filesystem::path(args->fixtures);
                        const auto files = find_fixtures(directory);
                        if (files.empty()) throw InputError(fmt::format("{}: no *.h5 fixtures", directory.string()));
                        std::printf("== fixtures: %zu file(s) under %s\n", files.size(), directory.string().c_str());
                        const std::vector<harness::Implementation> checked = subjects(*args);
                        const VerificationOutcome outcome =
                            verify_files(files, checked, std::nullopt, scope_from(args->suite.scope));
                        const int fixture_code = outcome.exit_code();
                        const bool properties_passed = check_properties(*args, checked);
                        const int code = fixture_code != kExitOk ? fixture_code
                                         : properties_passed     ? kExitOk
                                                                 : kExitMismatch;
                        std::printf("\ncheck: %s (fixtures: %s, properties: %s)\n", code == kExitOk ? "PASS" : "FAIL",
                                    fixture_code == kExitOk ? "pass" : "FAIL", properties_passed ? "pass" : "FAIL");
                        return code;
                      }});
}

}  // namespace relpos::cli
