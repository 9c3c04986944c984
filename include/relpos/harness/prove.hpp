#pragma once
// The property suite as one function: give it any implementation, get a report.
//
//   relpos::harness::Report report = relpos::harness::prove(
//       relpos::harness::implementation("mine", [](const relpos::Problem& p, const relpos::PairOutput& out) {
//         my_kernel(p, out);
//       }));
//   if (!report.passed()) std::cerr << report.text();
#include <concepts>
#include <utility>

#include "relpos/harness/implementation.hpp"
#include "relpos/harness/prove_options.hpp"
#include "relpos/harness/report.hpp"

namespace relpos::harness {

/// Replays options.regressions, then runs each property on options.cases
/// generated cases, shrinking any failure to a minimal counterexample.
/// Throws FatalError when the implementation cannot run at all.
Report prove(const Implementation& impl, const ProveOptions& options = {});

/// The coverage of the cases prove() generates with `options` when every
/// property passes (generation only: the same seeds give the same cases).
Coverage generated_coverage(const ProveOptions& options);

/// A backend the caller keeps alive.
Report prove(const Backend& backend, const ProveOptions& options = {});

/// Any callable void(const Problem&, const PairOutput&), held to bitwise
/// equality (wrap it with implementation(name, f, false) for a reordered sum).
template <class F>
  requires std::invocable<F&, const Problem&, const PairOutput&>
Report prove(F&& f, const ProveOptions& options = {}) {
  return prove(implementation("callable", RunFunction(std::forward<F>(f))), options);
}

}  // namespace relpos::harness
