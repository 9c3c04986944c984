#pragma once
// Minimal counterexamples saved as JSON (tests/regressions/) and replayed
// before any generated case, whatever the generators have become since.
#include <filesystem>
#include <string>
#include <vector>

#include "relpos/harness/case.hpp"
#include "relpos/harness/properties.hpp"

namespace relpos::harness {

inline constexpr const char* kRegressionFormat = "relpos-regression";
inline constexpr int kRegressionVersion = 1;

struct RegressionCase {
  std::filesystem::path file;  ///< where it was loaded from or saved to
  Property property = Property::fp32;  ///< the property that failed
  std::string found_by;        ///< the implementation that failed it
  std::string recorded_with;   ///< "relpos VERSION"
  std::string report;          ///< the failure report when it was recorded
  Case value;
};

/// RELPOS_RECORD_REGRESSIONS=1 and not on CI (the CI variable unset or empty).
bool recording_enabled();

/// Writes `regression` into `directory` as <property>-<found_by>-<hash>.json
/// (atomically; an identical case already there is kept) and returns the path.
std::filesystem::path save_regression(const std::filesystem::path& directory, const RegressionCase& regression);

/// Throws InputError "FILE: problem" for anything malformed.
RegressionCase load_regression(const std::filesystem::path& file);

/// Every *.json in `directory`, sorted by name; none when it does not exist.
std::vector<RegressionCase> load_regressions(const std::filesystem::path& directory);

}  // namespace relpos::harness
