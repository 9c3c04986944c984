#include "relpos/harness/prove.hpp"

#include <chrono>
#include <exception>

#include <fmt/format.h>
#include <rapidcheck.h>

#include "relpos/harness/gen_case.hpp"
#include "relpos/harness/gen_scale.hpp"
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

// Counts finished cases (and their coverage) and accepted shrinks, and tells
// the progress function after each.
class Listener final : public rc::detail::TestListener {
 public:
  Listener(RunState& state, Coverage& coverage, Progress progress = {}, const ProgressFunction* notify = nullptr,
           Clock::time_point start = Clock::now())
      : state_(state), coverage_(coverage), progress_(progress), notify_(notify), start_(start) {}
  void onTestCaseFinished(const rc::detail::CaseDescription& description) override {
    if (description.result.type == rc::detail::CaseResult::Type::Discard) return;
    ++state_.cases;
    if (state_.evaluated) coverage_.add(*state_.evaluated);
    tell(false);
  }
  void onShrinkTried(const rc::detail::CaseDescription&, bool accepted) override {
    if (accepted) ++state_.shrink_steps;
    tell(true);
  }
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}

 private:
  void tell(bool shrinking) {
    if (notify_ == nullptr || !*notify_) return;
    progress_.cases = state_.cases;
    progress_.shrink_steps = state_.shrink_steps;
    progress_.shrinking = shrinking;
    progress_.elapsed = seconds_since(start_);
    (*notify_)(progress_);
  }

  RunState& state_;
  Coverage& coverage_;
  Progress progress_;
  const ProgressFunction* notify_;
  Clock::time_point start_;
};

// The generator a property draws from: the standard one, or the scale tier.
rc::Gen<Case> cases_for(Property property, const ProveOptions& options, const Scope& scope) {
  if (!uses_scale_tier(property)) return gen::case_(options.limits, scope);
  rc::Gen<Case> cases = gen::scale_case(scope);
  if (!options.limits.int32_ids) return cases;
  return rc::gen::suchThat(std::move(cases), [](const Case& c) { return ids_fit_int32(c.layout); });
}

// Cases a property runs: the scale tier's cost a hundred small cases each, so it runs a quarter.
int cases_of(Property property, const ProveOptions& options) {
  return uses_scale_tier(property) ? std::max(10, options.cases / 4) : options.cases;
}

// The one place RapidCheck's runner is called: its public rc::check only
// prints and returns a bool, the detail API returns the structured result.
PropertyResult run_property(const Implementation& impl, Property property, const ProveOptions& options,
                            const Scope& generated, Coverage& coverage, Clock::time_point run_start) {
  PropertyResult result;
  result.property = property;
  result.seed = property_seed(options, property);
  const auto start = Clock::now();

  RunState state;
  Listener listener(state, coverage, Progress{impl.name, property, 0, cases_of(property, options)}, &options.progress,
                    run_start);
  const rc::Gen<Case> cases = cases_for(property, options, generated);
  const auto body = [&] {
    if (state.fatal) RC_DISCARD("the implementation cannot run");
    Case c = *cases;
    state.evaluated = c;
    Verdict verdict;
    try {
      verdict = check(property, c, impl, options.policy, options.scope);
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
  params.maxSuccess = cases_of(property, options);
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

// The scope cases are generated in for `impl`: the stated scope, its
// precisions narrowed to those the implementation has an output mode for.
Scope generation_scope(const Scope& scope, const Implementation& impl) {
  Scope generated = scope;
  std::vector<Precision> usable;
  for (Precision p : {Precision::fp32, Precision::bf16, Precision::bf16_autocast})
    if (scope.allows(p) && (rounds_result(p) ? impl.modes.write_bf16 : impl.modes.write_fp32)) usable.push_back(p);
  if (!usable.empty()) generated.precisions = usable;
  return generated;
}

}  // namespace

Coverage generated_coverage(const ProveOptions& options) {
  Coverage coverage(options.scope);
  const std::vector<Property> selected =
      options.properties.empty() ? std::vector<Property>(all_properties().begin(), all_properties().end())
                                 : options.properties;
  for (Property property : selected) {
    RunState state;
    Listener listener(state, coverage);
    const rc::Gen<Case> cases = cases_for(property, options, options.scope);
    rc::detail::TestParams params;
    params.seed = property_seed(options, property);
    params.maxSuccess = cases_of(property, options);
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
  report.policy = describe_policy(impl, options.policy);
  report.unavailable = impl.unavailable;
  report.coverage = Coverage(options.scope);
  if (!report.ran()) return report;
  validate(options.scope);
  const Scope generated = generation_scope(options.scope, impl);

  const std::vector<Property> selected =
      options.properties.empty() ? std::vector<Property>(all_properties().begin(), all_properties().end())
                                 : options.properties;
  for (std::size_t k = 0; k < options.regressions.size(); ++k) {
    const RegressionCase& regression = options.regressions[k];
    // Each shard replays every total-th saved case: the slices stay disjoint.
    if (k % static_cast<std::size_t>(options.shard.total) != static_cast<std::size_t>(options.shard.index)) continue;
    // A saved case with ids beyond int32 is outside what an int32 run proves.
    if (options.limits.int32_ids && !ids_fit_int32(regression.value)) continue;
    // Nor is a saved case outside the scope: the implementation does not claim it.
    if (!options.scope.allows(regression.value.config)) continue;
    for (Property property : selected) {
      if (!not_applicable(property, impl, options.scope).empty()) continue;
      const Verdict verdict = check(property, regression.value, impl, options.policy, options.scope);
      report.replays.push_back({regression.file, property, verdict.passed, verdict.report});
    }
  }

  for (Property property : selected) {
    if (const std::string why = not_applicable(property, impl, options.scope); !why.empty()) {
      PropertyResult skipped;
      skipped.property = property;
      skipped.status = PropertyResult::Status::skipped;
      skipped.skip_reason = why;
      report.properties.push_back(skipped);
      continue;
    }
    report.properties.push_back(run_property(impl, property, options, generated, report.coverage, start));
    const PropertyResult& result = report.properties.back();
    if (options.progress)
      options.progress(Progress{impl.name, property, result.cases, cases_of(property, options),
                                result.counterexample ? result.counterexample->shrink_steps : 0, false, true,
                                seconds_since(start)});
    if (options.stop_at_first_failure && result.status == PropertyResult::Status::failed) break;
  }
  report.seconds = seconds_since(start);
  return report;
}

Report prove(const Backend& backend, const ProveOptions& options) { return prove(implementation(backend), options); }

}  // namespace relpos::harness
