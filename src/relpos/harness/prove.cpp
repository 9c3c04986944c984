#include "relpos/harness/prove.hpp"

#include <chrono>
#include <exception>

#include <fmt/format.h>
#include <rapidcheck.h>

#include "relpos/harness/gen_case.hpp"
#include "relpos/system.hpp"

namespace relpos::harness {
namespace {

using Clock = std::chrono::steady_clock;

// What the property body tells the runner across RapidCheck's calls.
struct RunState {
  std::optional<Case> evaluated;      // the case of the latest call
  std::optional<Case> last_failing;   // the latest failing case: after shrinking, the minimal one
  std::string last_report;
  int cases = 0;
  int shrink_steps = 0;
  std::exception_ptr fatal;
};

// Counts finished cases (and their coverage) and accepted shrinks.
class Listener final : public rc::detail::TestListener {
 public:
  Listener(RunState& state, Coverage& coverage) : state_(state), coverage_(coverage) {}
  void onTestCaseFinished(const rc::detail::CaseDescription& description) override {
    if (description.result.type == rc::detail::CaseResult::Type::Discard) return;
    ++state_.cases;
    if (state_.evaluated) coverage_.add(*state_.evaluated);
  }
  void onShrinkTried(const rc::detail::CaseDescription&, bool accepted) override {
    if (accepted) ++state_.shrink_steps;
  }
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}

 private:
  RunState& state_;
  Coverage& coverage_;
};

// The one place RapidCheck's runner is called: its public rc::check only
// prints and returns a bool, the detail API returns the structured result.
PropertyResult run_property(const Implementation& impl, Property property, const Policy& policy,
                            const ProveOptions& options, Coverage& coverage) {
  PropertyResult result;
  result.property = property;
  result.seed = property_seed(options, property);
  const auto start = Clock::now();

  RunState state;
  Listener listener(state, coverage);
  const rc::Gen<Case> cases = gen::case_(options.limits);
  const auto body = [&] {
    if (state.fatal) RC_DISCARD("the implementation cannot run");
    Case c = *cases;
    state.evaluated = c;
    Verdict verdict;
    try {
      verdict = check(property, c, impl, policy);
    } catch (const FatalError&) {
      state.fatal = std::current_exception();
      RC_DISCARD("the implementation cannot run");
    }
    if (!verdict.passed) {
      state.last_failing = std::move(c);
      state.last_report = verdict.report;
      RC_FAIL(verdict.report);
    }
  };

  rc::detail::TestParams params;
  params.seed = result.seed;
  params.maxSuccess = options.cases;
  params.maxSize = options.max_size;
  params.maxDiscardRatio = 10;
  params.disableShrinking = !options.shrink;
  rc::detail::TestMetadata metadata;
  metadata.id = fmt::format("{}/{}", impl.name, to_string(property));
  metadata.description = std::string(describe(property));
  const rc::detail::TestResult outcome = rc::detail::checkTestable(body, metadata, params, listener,
                                                                   std::unordered_map<std::string, rc::detail::Reproduce>{});
  if (state.fatal) std::rethrow_exception(state.fatal);

  result.cases = state.cases;
  result.seconds = seconds_since(start);
  rc::detail::FailureResult failure;
  rc::detail::GaveUpResult gave_up;
  rc::detail::Error error;
  if (outcome.match(failure)) {
    result.status = PropertyResult::Status::failed;
    result.cases = failure.numSuccess + 1;
    if (state.last_failing) {
      Counterexample cx{std::move(*state.last_failing), state.last_report, state.shrink_steps, {}};
      if (recording_enabled() && !options.record_directory.empty())
        cx.recorded = save_regression(options.record_directory,
                                      RegressionCase{{}, property, impl.name, {}, cx.report, cx.value});
      result.counterexample = std::move(cx);
    } else {
      result.error = failure.description;
    }
  } else if (outcome.match(gave_up)) {
    result.status = PropertyResult::Status::failed;
    result.error = "RapidCheck gave up: " + gave_up.description;
  } else if (outcome.match(error)) {
    result.status = PropertyResult::Status::failed;
    result.error = "RapidCheck error: " + error.description;
  }
  return result;
}

}  // namespace

Coverage generated_coverage(const ProveOptions& options) {
  Coverage coverage;
  const std::vector<Property> selected =
      options.properties.empty() ? std::vector<Property>(all_properties().begin(), all_properties().end())
                                 : options.properties;
  for (Property property : selected) {
    RunState state;
    Listener listener(state, coverage);
    const rc::Gen<Case> cases = gen::case_(options.limits);
    rc::detail::TestParams params;
    params.seed = property_seed(options, property);
    params.maxSuccess = options.cases;
    params.maxSize = options.max_size;
    rc::detail::checkTestable([&] { state.evaluated = *cases; }, rc::detail::TestMetadata{}, params, listener,
                              std::unordered_map<std::string, rc::detail::Reproduce>{});
  }
  return coverage;
}

Report prove(const Implementation& impl, const ProveOptions& options) {
  const auto start = Clock::now();
  Report report;
  report.implementation = impl.name;
  report.options = options;
  report.policy = policy_for(impl, options.policy);
  report.unavailable = impl.unavailable;
  if (!report.ran()) return report;

  const std::vector<Property> selected =
      options.properties.empty() ? std::vector<Property>(all_properties().begin(), all_properties().end())
                                 : options.properties;
  for (const RegressionCase& regression : options.regressions) {
    // A saved case with ids beyond int32 is outside what an int32 run proves.
    if (options.limits.int32_ids && !ids_fit_int32(regression.value)) continue;
    for (Property property : selected) {
      if (!not_applicable(property, impl).empty()) continue;
      const Verdict verdict = check(property, regression.value, impl, report.policy);
      report.replays.push_back({regression.file, property, verdict.passed, verdict.report});
    }
  }

  for (Property property : selected) {
    if (const std::string why = not_applicable(property, impl); !why.empty()) {
      PropertyResult skipped;
      skipped.property = property;
      skipped.status = PropertyResult::Status::skipped;
      skipped.skip_reason = why;
      report.properties.push_back(skipped);
      continue;
    }
    report.properties.push_back(run_property(impl, property, report.policy, options, report.coverage));
    const PropertyResult& result = report.properties.back();
    if (options.progress)
      options.progress(fmt::format("{}: {} {} ({} cases, {:.2f} s)", impl.name, to_string(property),
                                   to_string(result.status), result.cases, result.seconds));
    if (options.stop_at_first_failure && result.status == PropertyResult::Status::failed) break;
  }
  report.seconds = seconds_since(start);
  return report;
}

Report prove(const Backend& backend, const ProveOptions& options) { return prove(implementation(backend), options); }

}  // namespace relpos::harness
