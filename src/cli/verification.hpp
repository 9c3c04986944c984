#pragma once
// verify and check share this: run fixtures through backends, print a table.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "relpos/backend.hpp"
#include "relpos/harness/implementation.hpp"
#include "relpos/harness/scope.hpp"
#include "relpos/policy.hpp"

namespace relpos::cli {

struct VerificationOutcome {
  int fixtures = 0;
  int runs = 0;          ///< (fixture, backend) pairs compared
  int mismatches = 0;    ///< pairs that failed their policy
  int bad_inputs = 0;    ///< fixtures that could not be read
  int failed_runs = 0;   ///< (fixture, backend) pairs whose run stopped with an error (e.g. out of memory)
  int gradients_unchecked = 0;  ///< fixtures with G verified by an implementation without a backward
  std::vector<std::string> skipped;  ///< backends not available here, with the reason
  std::vector<std::string> outside_scope;  ///< fixtures not verified: outside the stated scope
  /// Every fixture read lies outside the scope: nothing was verified.
  bool nothing_in_scope() const { return fixtures == 0 && !outside_scope.empty(); }
  int exit_code() const;
};

/// Verifies every file within `scope` with every implementation (a backend,
/// an external candidate); one that cannot run here is skipped and named.
/// Prints the table, any failure reports and error lines to stdout/stderr.
VerificationOutcome verify_files(const std::vector<std::filesystem::path>& files,
                                 const std::vector<harness::Implementation>& subjects,
                                 const std::optional<Policy>& override, const harness::Scope& scope = {});

/// Each named backend with `options`, as an implementation.
std::vector<harness::Implementation> backend_subjects(const std::vector<std::string>& names, const BackendOptions& options);

}  // namespace relpos::cli
