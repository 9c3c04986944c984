// A consumer project's GoogleTest suite: RELPOS_EXPECT_EQUIVALENT on its own kernel
// (here: relpos's cpu backend behind a lambda), with the public names of
// relpos/harness/gtest.hpp.
#include <relpos/backends/registry.hpp>
#include <relpos/harness/gtest.hpp>

TEST(Consumer, CpuBackendIsAlgorithm3) {
  const std::unique_ptr<relpos::Backend> cpu = relpos::make_backend("cpu");
  RELPOS_EXPECT_EQUIVALENT([&](const relpos::Problem& problem, const relpos::PairOutput& out) { cpu->run(problem, out); },
                           relpos::harness::test_options(20));
}

TEST(Consumer, ABrokenKernelIsCaughtWithACounterexample) {
  const std::unique_ptr<relpos::Backend> cpu = relpos::make_backend("cpu");
  relpos::harness::ProveOptions options = relpos::harness::test_options(20);
  options.properties = {relpos::harness::Property::fp32};
  const relpos::harness::Report report = relpos::harness::prove(
      [&](const relpos::Problem& problem, const relpos::PairOutput& out) {
        cpu->run(problem, out);
        if (out.mode == relpos::OutputMode::write_fp32 && out.elements() > 0) out.fp32()[out.elements() - 1] += 1.0f;
      },
      options);
  EXPECT_FALSE(report.passed());
  EXPECT_NE(report.failures().find("shrunk counterexample"), std::string::npos) << report.text();
}
