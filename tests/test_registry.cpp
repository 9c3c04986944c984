// The backend registry: a backend describes itself, and one registration makes
// it known to make_backend, relpos memory's model and relpos bench (the
// "add a backend" recipe of docs/architecture.md, exercised end to end).
#include <gtest/gtest.h>

#include <algorithm>

#include "relpos/backends/registry.hpp"
#include "relpos/bench/bench_runner.hpp"
#include "relpos/bench/memory_model.hpp"
#include "relpos/compare.hpp"
#include "relpos/errors.hpp"
#include "relpos/synthetic_weights.hpp"
#include "test_layouts.hpp"

namespace relpos {
namespace {

// A user's kernel: here the reference's bins summed in reverse order (a reordered sum).
class ReversedSum final : public Backend {
 public:
  std::string_view name() const override { return "reversed-sum"; }
  bool exact_order() const override { return false; }
  Workspace workspace(const MemoryShape& shape) const override {
    return {"a test lookup", {{"its table", static_cast<std::uint64_t>(shape.config.c_z) * 8}}, "from the test"};
  }

 protected:
  void compute(const Problem& problem, const PairOutput& out) const override {
    const BinParams params = problem.bins();
    std::int64_t k = 0;
    for (std::int64_t b = 0; b < problem.layout.batch(); ++b)
      for (std::int64_t i = 0; i < problem.layout.tokens(); ++i)
        for (std::int64_t j = 0; j < problem.layout.tokens(); ++j) {
          const HotColumns hot = hot_columns(params, pair_bins(params, problem.layout.token(b, i), problem.layout.token(b, j)));
          for (std::int64_t c = 0; c < problem.config.c_z; ++c, ++k) {
            float sum = problem.weights(c, hot.chain);
            if (hot.entity >= 0) sum += problem.weights(c, hot.entity);
            sum += problem.weights(c, hot.token);
            sum += problem.weights(c, hot.residue);
            if (out.mode == OutputMode::write_bf16) out.bf16()[k] = bf16_round(sum);
            else if (out.mode == OutputMode::accumulate) out.fp32()[k] += sum;
            else out.fp32()[k] = sum;
          }
        }
  }
};

TEST(Registry, BuiltInBackendsDescribeThemselves) {
  const std::vector<std::string> names = backend_names();
  ASSERT_GE(names.size(), 4u);
  int references = 0;
  for (const BackendEntry& entry : registered_backends()) {
    EXPECT_FALSE(entry.summary.empty()) << entry.name;
    const auto backend = entry.make({});
    EXPECT_EQ(backend->name(), entry.name);
    if (backend->traits().role == BenchRole::sequential_reference) ++references;
    const Workspace w = backend->workspace(MemoryShape{.tokens = 64});
    EXPECT_FALSE(w.description.empty()) << entry.name;
    EXPECT_FALSE(w.buffers.empty()) << entry.name;
  }
  EXPECT_EQ(references, 1);
  EXPECT_EQ(make_reference_backend()->traits().role, BenchRole::sequential_reference);
  const auto lookup = make_backend(default_backend_name());
  EXPECT_EQ(lookup->traits().role, BenchRole::lookup);
  EXPECT_EQ(lookup->native_space(), MemorySpace::host);
}

TEST(Registry, UnknownAndDuplicateNamesAreInputErrors) {
  EXPECT_THROW(make_backend("no-such-backend"), InputError);
  EXPECT_THROW(register_backend({"cpu", "again", [](const BackendOptions&) { return make_backend("cpu"); }}),
               InputError);
  EXPECT_THROW(register_backend({"", "nameless", [](const BackendOptions&) { return make_backend("cpu"); }}),
               InputError);
  EXPECT_THROW(register_backend({"no-factory", "none", {}}), InputError);
}

TEST(Registry, OneRegistrationReachesMakeBackendTheMemoryModelAndTheBench) {
  register_backend({"reversed-sum", "the four terms added in reverse (a test backend)",
                    [](const BackendOptions&) { return std::make_unique<ReversedSum>(); }});
  const auto names = backend_names();
  EXPECT_EQ(names.back(), "reversed-sum");

  // Verified against the reference under the policy it states for itself.
  const auto backend = make_backend("reversed-sum");
  EXPECT_EQ(backend->policy(Precision::fp32).str(), "bound:6");
  const Problem problem{Config{}, testing::homomer(2, 12), protenix_synthetic_weights(Config{}, 3)};
  const auto expected = compute_fp32(*make_reference_backend(), problem);
  const auto got = compute_fp32(*backend, problem);
  EXPECT_TRUE(compare_tensors(problem, expected, got, Precision::fp32, backend->policy(Precision::fp32)).passed());

  // relpos memory lists it with its own workspace.
  const MemoryShape shape{.tokens = 100};
  const auto paths = bench::memory_model(shape);
  const auto found = std::find_if(paths.begin(), paths.end(), [](const bench::PathMemory& p) { return p.path == "reversed-sum"; });
  ASSERT_NE(found, paths.end());
  EXPECT_EQ(found->extra_bytes, 128u * 8u);
  EXPECT_EQ(found->note, "from the test");

  // relpos bench times it like any lookup, with speed-ups against the references.
  bench::BenchPlan plan;
  plan.backends = {"onehot", "reversed-sum"};
  plan.sizes = {16};
  plan.threads = {1};
  plan.reps = 1;
  plan.measure_memory = false;
  const bench::BenchReport report = bench::run_bench(plan, [](const std::string&) {});
  const auto timed = std::count_if(report.records.begin(), report.records.end(),
                                   [](const bench::BenchRecord& r) { return r.backend == "reversed-sum"; });
  EXPECT_EQ(timed, 3);  // fp32, bf16, accumulate
  for (const bench::BenchRecord& r : report.records)
    if (r.backend == "reversed-sum") {
      EXPECT_TRUE(r.speedup_vs_onehot.has_value()) << r.mode;
      EXPECT_EQ(r.model_extra_bytes, 128u * 8u);
    }
}

}  // namespace
}  // namespace relpos
