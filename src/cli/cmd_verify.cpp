#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/property_runs.hpp"
#include "cli/verification.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"
#include "relpos/io/verify.hpp"

namespace relpos::cli {
namespace {

struct VerifyArgs {
  std::vector<std::string> files;
  std::vector<std::string> backends;
  std::string policy;
  std::string candidate;
  BackendOptions options;
  ScopeArgs scope;
};

// --candidate: compare another program's output with the fixture's.
int verify_candidate(const VerifyArgs& args, const std::optional<Policy>& override) {
  if (args.files.size() != 1) throw InputError("--candidate compares against exactly one fixture");
  const Fixture fixture = read_fixture(args.files.front());
  const harness::Scope scope = scope_from(args.scope);
  if (!scope.allows(fixture.meta.config))
    throw InputError(fmt::format("{}: the fixture ({}) is outside the scope ({})", args.files.front(),
                                 describe(fixture.meta.config), scope.describe()));
  const Policy policy = override ? *override : fixture.meta.policy;
  const Precision precision = fixture.meta.config.precision;
  const xt::xtensor<float, 4> got = read_expected_output(args.candidate, fixture);
  const Comparison c = compare_tensors(fixture.problem(), *fixture.expected, got, precision, policy);
  Table table({"fixture", "candidate", "precision", "policy", "result", "mismatches", "max |err|", "max ulp"});
  table.add({args.files.front(), args.candidate, std::string(to_string(precision)), policy.str(),
             c.passed() ? "PASS" : "FAIL", fmt::format("{} ({:.3g}%)", c.mismatches, c.mismatch_percent()),
             fmt::format("{:.3g}", c.max_abs_error), fmt::format("{:g}", c.max_ulp)});
  std::fputs(table.str().c_str(), stdout);
  if (!c.passed()) std::printf("\n%s\n", c.report().c_str());
  return c.passed() ? kExitOk : kExitMismatch;
}

}  // namespace

void register_verify(CLI::App& root, Commands& commands) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* app = root.add_subcommand("verify", "Recompute fixtures with each backend and compare with their output");
  app->add_option("files", args->files, "fixture files (format v1 or v2)")->required();
  CLI::Option* backend =
      app->add_option("--backend", args->backends,
                      fmt::format("all (default) or backend names: {} (repeatable or comma list)", backend_list()))
          ->delimiter(',');
  app->add_option("--policy", args->policy, "override the fixture's policy: bitwise, bound:K, rbound:K, ulp:K, allclose[:R,A]");
  CLI::Option* candidate = app->add_option(
      "--candidate", args->candidate, "compare this file's /expected/output (from any program) instead of recomputing");
  add_backend_options(*app, args->options);
  add_scope_options(*app, args->scope);
  // A candidate file is compared as it is: options that steer a recomputation would be silently ignored.
  candidate->excludes(backend);
  for (const char* name : {"--threads", "--chunk-rows"}) candidate->excludes(app->get_option(name));
  commands.push_back({app, [args] {
                        std::optional<Policy> override;
                        if (!args->policy.empty()) override = Policy::parse(args->policy);
                        if (!args->candidate.empty()) return verify_candidate(*args, override);
                        const std::vector<std::string> backends = select_backends(args->backends);
                        for (const std::string& name : backends) {
                          const Availability availability = make_backend(name)->availability();
                          if (!availability.available)
                            throw InputError(fmt::format("backend {} is not available here: {}", name,
                                                         availability.detail));
                        }
                        std::vector<std::filesystem::path> files(args->files.begin(), args->files.end());
                        const VerificationOutcome outcome = verify_files(
                            files, backend_subjects(backends, args->options), override, scope_from(args->scope));
                        return outcome.exit_code();
                      }});
}

}  // namespace relpos::cli
