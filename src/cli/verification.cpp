#include "cli/verification.hpp"

#include "cli/cli_common.hpp"

#include <cstdio>
#include <new>

#include <fmt/format.h>

#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"
#include "relpos/io/verify.hpp"

namespace relpos::cli {

int VerificationOutcome::exit_code() const {
  // A gate that checked nothing must not read as a pass.
  if (bad_inputs > 0 || failed_runs > 0 || nothing_in_scope()) return kExitBadInput;
  if (mismatches > 0) return kExitMismatch;
  return kExitOk;
}

std::vector<harness::Implementation> backend_subjects(const std::vector<std::string>& names,
                                                      const BackendOptions& options) {
  std::vector<harness::Implementation> subjects;
  for (const std::string& name : names) subjects.push_back(harness::backend_implementation(name, options));
  return subjects;
}

VerificationOutcome verify_files(const std::vector<std::filesystem::path>& files,
                                 const std::vector<harness::Implementation>& subjects,
                                 const std::optional<Policy>& override, const harness::Scope& scope) {
  VerificationOutcome outcome;
  std::vector<const harness::Implementation*> runnable;
  for (const harness::Implementation& subject : subjects) {
    if (subject.unavailable.empty()) {
      runnable.push_back(&subject);
    } else {
      outcome.skipped.push_back(subject.unavailable);  // "cuda: not compiled ..." names the backend
    }
  }

  Table table({"fixture", "backend", "precision", "policy", "shape [B,N,c_z]", "result", "mismatches", "max |err|",
               "max ulp", "time"});
  std::vector<std::string> reports;
  for (const std::filesystem::path& file : files) {
    Fixture fixture;
    try {
      fixture = read_fixture(file);
    } catch (const InputError& e) {
      std::fprintf(stderr, "relpos: error: %s\n", e.what());
      ++outcome.bad_inputs;
      continue;
    } catch (const std::exception& e) {
      // Anything the reader did not anticipate (allocation failure, an HDF5 library error) still names the file.
      std::fprintf(stderr, "relpos: error: %s: cannot read fixture: %s\n", file.string().c_str(), e.what());
      ++outcome.bad_inputs;
      continue;
    }
    if (!scope.allows(fixture.meta.config)) {
      outcome.outside_scope.push_back(fmt::format("{} ({})", file.filename().string(), describe(fixture.meta.config)));
      continue;
    }
    ++outcome.fixtures;
    const std::string shape =
        fmt::format("[{}, {}, {}]", fixture.layout.batch(), fixture.layout.tokens(), fixture.meta.config.c_z);
    for (const harness::Implementation* subject : runnable) {
      VerifyResult result;
      try {
        result = verify_fixture(fixture, subject->name, subject->run, subject->exact_order, override, subject->backward);
      } catch (const std::bad_alloc&) {
        const std::int64_t b = fixture.layout.batch(), n = fixture.layout.tokens(), c = fixture.meta.config.c_z;
        std::fprintf(stderr, "relpos: error: %s: backend %s: out of memory for the [%lld, %lld, %lld, %lld] output "
                     "(%.3g GB)\n", file.string().c_str(), subject->name.c_str(),
                     static_cast<long long>(b), static_cast<long long>(n), static_cast<long long>(n),
                     static_cast<long long>(c), 4e-9 * static_cast<double>(b * n * n * c));
        ++outcome.failed_runs;
        continue;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "relpos: error: %s: backend %s failed: %s\n", file.string().c_str(),
                     subject->name.c_str(), e.what());
        ++outcome.failed_runs;
        continue;
      }
      const Comparison& c = result.comparison;
      ++outcome.runs;
      if (!result.passed()) ++outcome.mismatches;
      if (!c.passed()) reports.push_back(fmt::format("{} with {}: output:\n  {}", file.string(), result.backend, c.report()));
      table.add({file.filename().string(), result.backend, std::string(to_string(fixture.meta.config.precision)),
                 result.policy.str(), shape, c.passed() ? "PASS" : "FAIL",
                 fmt::format("{} ({:.3g}%)", c.mismatches, c.mismatch_percent()), fmt::format("{:.3g}", c.max_abs_error),
                 fmt::format("{:g}", c.max_ulp), format_seconds(result.seconds)});
      if (!result.gradient_error.empty()) {
        reports.push_back(fmt::format("{} with {}: grad_weight (the backward) could not be computed: {}",
                                      file.string(), result.backend, result.gradient_error));
        table.add({"", result.backend, "dW (fp32)", "anyorder",
                   fmt::format("[{}, {}]", fixture.meta.config.c_z, fixture.meta.config.feature_width()), "FAIL",
                   "-", "-", "-", "-"});
      } else if (fixture.grad_output && !result.gradient) {
        ++outcome.gradients_unchecked;
      } else if (result.gradient) {
        const GradientComparison& g = *result.gradient;
        if (!g.passed())
          reports.push_back(fmt::format("{} with {}: grad_weight (the backward):\n  {}", file.string(), result.backend,
                                        g.report(fixture.meta.config)));
        table.add({"", result.backend, "dW (fp32)", g.policy.str(),
                   fmt::format("[{}, {}]", fixture.meta.config.c_z, fixture.meta.config.feature_width()),
                   g.passed() ? "PASS" : "FAIL", fmt::format("{}", g.mismatches), fmt::format("{:.3g}", g.max_abs_error),
                   "-", format_seconds(result.gradient_seconds)});
      }
    }
  }
  std::fputs(table.str().c_str(), stdout);
  for (const std::string& skipped : outcome.skipped) std::printf("skipped backend: %s\n", skipped.c_str());
  for (const std::string& skipped : outcome.outside_scope)
    std::printf("skipped fixture outside the scope (%s): %s\n", scope.describe().c_str(), skipped.c_str());
  if (outcome.gradients_unchecked > 0)
    std::printf("weight gradients not checked: %d (fixture, implementation) pair(s) without a backward (a candidate "
                "needs --backward)\n",
                outcome.gradients_unchecked);
  for (const std::string& report : reports) std::printf("\n%s\n", report.c_str());
  std::string trouble;
  if (outcome.bad_inputs > 0) trouble += fmt::format(", {} unreadable", outcome.bad_inputs);
  if (outcome.failed_runs > 0) trouble += fmt::format(", {} run(s) stopped by an error", outcome.failed_runs);
  std::printf("\n%d fixture(s), %d comparison(s): %d passed, %d failed%s\n", outcome.fixtures, outcome.runs,
              outcome.runs - outcome.mismatches, outcome.mismatches, trouble.c_str());
  std::fflush(stdout);
  if (outcome.nothing_in_scope())
    std::fprintf(stderr, "relpos: error: none of the %zu fixture(s) is within the scope (%s)\n",
                 outcome.outside_scope.size(), scope.describe().c_str());
  return outcome;
}

}  // namespace relpos::cli
