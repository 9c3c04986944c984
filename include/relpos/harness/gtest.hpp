#pragma once
// The whole property suite as one GoogleTest assertion, for any project:
//
//   #include <relpos/harness/gtest.hpp>
//   TEST(MyKernel, EqualsAlphaFold3Relpos) {
//     RELPOS_EXPECT_EQUIVALENT([](const relpos::Problem& p, const relpos::PairOutput& out) { my_kernel(p, out); });
//   }
//
// Link relpos::harness and GTest. The run uses the fixed CI seed and budget,
// RC_PARAMS (seed, max_success, max_size, noshrink) and the GoogleTest shard
// variables; a failure message holds the shrunk counterexample and its report.
#include <gtest/gtest.h>

#include <concepts>
#include <iostream>
#include <utility>

#include "relpos/harness/prove.hpp"

namespace relpos::harness {

/// kCiCases per property (or `cases`), the fixed seed, then the environment.
inline ProveOptions test_options(int cases = kCiCases) {
  ProveOptions options;
  options.cases = cases;
  return options_from_environment(options);
}

/// Runs the suite; skips (with the reason) an implementation that cannot run here.
inline void expect_equivalent(const Implementation& impl, const ProveOptions& options = test_options()) {
  const Report report = prove(impl, options);
  if (!report.ran()) GTEST_SKIP() << report.implementation << " cannot run here: " << report.unavailable;
  std::cout << report.text();
  EXPECT_TRUE(report.passed()) << report.failures();
}

inline void expect_equivalent(const Backend& backend, const ProveOptions& options = test_options()) {
  expect_equivalent(implementation(backend), options);
}

/// Any callable void(const Problem&, const PairOutput&), held to bitwise equality.
template <class F>
  requires std::invocable<F&, const Problem&, const PairOutput&>
void expect_equivalent(F&& f, const ProveOptions& options = test_options()) {
  expect_equivalent(implementation("callable", RunFunction(std::forward<F>(f))), options);
}

}  // namespace relpos::harness

#define RELPOS_EXPECT_EQUIVALENT(...) ::relpos::harness::expect_equivalent(__VA_ARGS__)
