// The one-line GoogleTest integration, used the way another project would.
#include "relpos/harness/gtest.hpp"

#include <gtest/gtest-spi.h>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"

namespace {

// "My kernel": the CPU lookup behind a plain lambda.
void my_kernel(const relpos::Problem& problem, const relpos::PairOutput& out) {
  static const auto backend = relpos::make_backend("cpu", {.threads = 1});
  backend->run(problem, out);
}

TEST(GtestHelper, OneLineRunsTheWholeSuiteOnACallable) {
  RELPOS_EXPECT_EQUIVALENT(my_kernel, relpos::harness::test_options(20));
}

TEST(GtestHelper, ABrokenKernelFailsWithItsShrunkCounterexample) {
  const auto broken = [](const relpos::Problem& problem, const relpos::PairOutput& out) {
    my_kernel(problem, out);
    if (out.mode == relpos::OutputMode::write_fp32 && problem.layout.tokens() >= 2) out.fp32()[0] = 12345.0f;
  };
  relpos::harness::ProveOptions options = relpos::harness::test_options(20);
  options.properties = {relpos::harness::Property::fp32};
  EXPECT_NONFATAL_FAILURE(RELPOS_EXPECT_EQUIVALENT(broken, options), "shrunk counterexample: 2 tokens");
}

}  // namespace
