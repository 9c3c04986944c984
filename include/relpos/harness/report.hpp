#pragma once
// What a run of the property suite found: per property, the cases run and,
// for a failure, the shrunk counterexample with its comparison report.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "relpos/harness/case.hpp"
#include "relpos/harness/coverage.hpp"
#include "relpos/harness/prove_options.hpp"

namespace relpos::harness {

struct Counterexample {
  Case value;
  std::string report;    ///< which law broke, where, the values
  int shrink_steps = 0;  ///< accepted shrinks from the first failing case
  std::filesystem::path recorded;  ///< the regression file, when one was saved
};

struct PropertyResult {
  enum class Status { passed, failed, skipped };
  Property property = Property::fp32;
  Status status = Status::passed;
  std::string skip_reason;
  int cases = 0;  ///< generated cases run, including the failing one
  std::uint64_t seed = 0;
  double seconds = 0;
  std::optional<Counterexample> counterexample;
  std::string error;  ///< a failure without a counterexample (RapidCheck gave up or errored)
};

struct ReplayResult {
  std::filesystem::path file;
  Property property = Property::fp32;
  bool passed = true;
  std::string report;
};

struct Report {
  std::string implementation;
  std::string unavailable;  ///< non-empty: nothing ran, and why
  std::string policy;       ///< the policies in force (describe_policy)
  ProveOptions options;     ///< as run (seed, cases, shard, scope)
  std::vector<ReplayResult> replays;
  std::vector<PropertyResult> properties;
  Coverage coverage;
  double seconds = 0;

  bool ran() const { return unavailable.empty(); }
  bool passed() const;
  /// Generated cases run over all properties.
  int cases() const;
  const PropertyResult* first_failure() const;
  /// A failing run: its shrunk counterexamples first, then one line per
  /// failing saved case, then the table of properties and the coverage.
  std::string text(bool with_coverage_table = false) const;
  /// Only the failures (counterexamples, then saved cases), for an assertion message.
  std::string failures() const;
};

nlohmann::json to_json(const Report& report);

/// Cases per second (0 when no time was measured).
double rate(std::int64_t cases, double seconds);

std::string_view to_string(PropertyResult::Status status);

}  // namespace relpos::harness
