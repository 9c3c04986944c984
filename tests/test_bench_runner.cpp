// `relpos bench` as a library on tiny sizes: which records exist, that their
// numbers are consistent with each other, notes for what was not run. No
// timing is asserted beyond being positive.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/bench/bench_runner.hpp"
#include "relpos/bench/bench_layout.hpp"
#include "relpos/bench/memory_model.hpp"
#include "relpos/errors.hpp"

namespace relpos::bench {
namespace {

bool has_note(const std::vector<std::string>& notes, const std::string& part) {
  return std::any_of(notes.begin(), notes.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

TEST(BenchRunner, RunsEveryCombinationAndKeepsTheNumbersConsistent) {
  BenchPlan plan;
  plan.backends = {"onehot", "onehot-blas", "cpu", "cuda"};
  plan.sizes = {24, 12};
  plan.threads = {2, 1};
  plan.reps = 2;
  plan.max_n_onehot = 12;
  std::vector<std::string> progress;
  const BenchReport report = run_bench(plan, [&](const std::string& line) { progress.push_back(line); });

  EXPECT_FALSE(progress.empty());
  EXPECT_TRUE(has_note(report.notes, "--max-n-onehot"));
  // Without a usable GPU, cuda is a note; with one, it runs once per mode and N (threads 0).
  const bool cuda_here = make_backend("cuda")->availability().available;
  EXPECT_EQ(has_note(report.notes, "cuda: not available here"), !cuda_here);
  // N = 12: onehot (1 thread) + onehot-blas and cpu at 1 and 2 threads; N = 24: no onehot. Three modes each.
  auto count = [&](const std::string& backend, std::int64_t n) {
    return std::count_if(report.records.begin(), report.records.end(),
                         [&](const BenchRecord& r) { return r.backend == backend && r.n == n; });
  };
  EXPECT_EQ(count("onehot", 12), 3);
  EXPECT_EQ(count("onehot", 24), 0);
  EXPECT_EQ(count("onehot-blas", 12), 6);
  EXPECT_EQ(count("cpu", 24), 6);
  EXPECT_EQ(count("cuda", 12) + count("cuda", 24), cuda_here ? 6 : 0);
  EXPECT_EQ(report.records.front().n, 12);  // sizes run in ascending order

  for (const BenchRecord& r : report.records) {
    SCOPED_TRACE(r.backend + " " + r.mode + " N=" + std::to_string(r.n) + " threads=" + std::to_string(r.threads));
    EXPECT_EQ(r.c_z, 128);
    EXPECT_GE(r.reps, 1);
    EXPECT_GT(r.min_ms, 0.0);
    EXPECT_LE(r.min_ms, r.median_ms);
    EXPECT_LE(r.median_ms, r.max_ms);
    EXPECT_LE(r.limit_min_ms, r.limit_ms);
    EXPECT_LE(r.limit_ms, r.limit_max_ms);
    EXPECT_DOUBLE_EQ(r.limit_ratio, r.median_ms / r.limit_ms);
    const std::uint64_t output = static_cast<std::uint64_t>(r.n * r.n * 128) * (r.mode == "bf16" ? 2 : 4);
    EXPECT_EQ(r.output_bytes, output);
    EXPECT_EQ(r.bytes_moved, r.mode == "accumulate" ? 2 * output : output);
    EXPECT_NEAR(r.gbps, static_cast<double>(r.bytes_moved) / (r.median_ms * 1e-3) / 1e9, 1e-9 * r.gbps);
    const bool device = r.backend == "cuda";
    if (device) {
      EXPECT_EQ(r.threads, 0);
      EXPECT_EQ(r.limit_kind, r.mode == "accumulate" ? "device read-modify-write" : "device write");
      EXPECT_FALSE(r.store_loop_ms.has_value());
      EXPECT_FALSE(r.peak_extra_bytes.has_value());
      EXPECT_FALSE(r.speedup_vs_onehot_blas.has_value());  // no onehot-blas record with threads 0
      continue;
    }
    EXPECT_EQ(r.limit_kind, r.mode == "accumulate" ? "read-modify-write loop" : "memset");
    // The second write reference exists for host writes only, and its ratio is consistent.
    ASSERT_EQ(r.store_loop_ms.has_value(), r.mode != "accumulate");
    if (r.store_loop_ms) EXPECT_DOUBLE_EQ(*r.store_loop_ratio, r.median_ms / *r.store_loop_ms);
    EXPECT_EQ(r.device.rfind("host, ", 0), 0u);
    if (r.backend == "onehot") {
      EXPECT_EQ(r.threads, 1);  // single-threaded by design, run once
    } else {
      EXPECT_TRUE(r.threads == 1 || r.threads == 2) << r.threads;
    }
    ASSERT_TRUE(r.peak_extra_bytes.has_value());
    MemoryShape shape;
    shape.tokens = r.n;
    shape.mode = parse_output_mode(r.mode);
    shape.threads = r.threads;  // each thread count's own model and measurement
    EXPECT_EQ(r.model_extra_bytes, backend_memory_model(r.backend, shape).extra_bytes);
    EXPECT_TRUE(r.speedup_vs_onehot_blas.has_value());
    EXPECT_EQ(r.speedup_vs_onehot.has_value(), r.n == 12);
  }
  // The model for every path, mode and N, for the memory plot.
  EXPECT_EQ(report.memory_model.size(), 2u * 3u * memory_model(MemoryShape{}).size());
  EXPECT_EQ(report.load_before.size(), 3u);
  EXPECT_EQ(report.simd.empty(), false);
}

TEST(BenchRunner, AutocastAndCyclicModesRunTheirRegimeAndLayoutNamedInTheRecord) {
  BenchPlan plan;
  plan.backends = {"onehot", "cpu"};
  plan.sizes = {40};
  plan.threads = {1};
  plan.reps = 1;
  plan.measure_memory = false;
  for (const char* name : {"bf16", "bf16-autocast", "fp32+cyclic", "bf16-autocast+cyclic"})
    plan.modes.push_back(parse_bench_mode(name));
  plan.modes.erase(plan.modes.begin(), plan.modes.begin() + 3);  // drop the three defaults
  const BenchReport report = run_bench(plan, [](const std::string&) {});
  std::vector<std::string> names;
  for (const BenchRecord& r : report.records)
    if (r.backend == "cpu") names.push_back(r.mode);
  EXPECT_EQ(names, (std::vector<std::string>{"bf16", "bf16-autocast", "fp32+cyclic", "bf16-autocast+cyclic"}));
  for (const BenchRecord& r : report.records)
    EXPECT_EQ(r.output_bytes, 40u * 40u * 128u * (r.mode.starts_with("bf16") ? 2 : 4)) << r.mode;
  // Every record's speed-up is against the reference in the same mode.
  for (const BenchRecord& r : report.records) EXPECT_TRUE(r.speedup_vs_onehot.has_value()) << r.mode;
}

TEST(BenchMode, NamesRoundTripAndUnknownNamesAreInputErrors) {
  for (const char* name : {"fp32", "bf16", "bf16-autocast", "accumulate", "fp32+cyclic", "accumulate+cyclic"})
    EXPECT_EQ(parse_bench_mode(name).name(), name);
  EXPECT_EQ(parse_bench_mode("bf16-autocast").precision, Precision::bf16_autocast);
  EXPECT_EQ(parse_bench_mode("bf16+cyclic").cyclic, Cyclic::boltz);
  EXPECT_THROW(parse_bench_mode("fp16"), InputError);
  EXPECT_THROW(parse_bench_mode("+cyclic"), InputError);
}

TEST(BenchLayout, TheCyclicFormMakesOnlyTheSecondProteinCyclic) {
  const Layout linear = bench_layout(200);
  const Layout cyclic = bench_layout(200, true);
  ASSERT_TRUE(cyclic.has_periods());
  EXPECT_FALSE(linear.has_periods());
  std::int64_t cyclic_tokens = 0;
  for (std::int64_t t = 0; t < 200; ++t) {
    const TokenIds token = cyclic.token(0, t);
    const TokenIds plain = linear.token(0, t);
    EXPECT_EQ(token.residue_index, plain.residue_index);
    EXPECT_EQ(token.asym_id, plain.asym_id);
    if (token.cyclic_period > 0) {
      ++cyclic_tokens;
      EXPECT_EQ(token.asym_id, 2);
      EXPECT_EQ(token.cyclic_period, 17);  // 24 tokens: 16 plain residues + one residue of 8 atoms
    }
  }
  EXPECT_EQ(cyclic_tokens, 24);  // 200 * 3 / 25
}

TEST(BenchRunner, RejectsPlansThatCannotRun) {
  BenchPlan plan;
  plan.backends = {"cpu"};
  plan.sizes = {kMaxBenchTokens + 1};
  EXPECT_THROW(validate(plan), InputError);
  plan.sizes = {0};
  EXPECT_THROW(validate(plan), InputError);
  plan.sizes = {16};
  plan.modes = {};
  EXPECT_THROW(validate(plan), InputError);
  plan.modes = {BenchMode{}};
  plan.threads = {0};
  EXPECT_THROW(validate(plan), InputError);
  plan.threads = {1};
  plan.reps = 0;
  EXPECT_THROW(validate(plan), InputError);
  plan.reps = 1;
  EXPECT_NO_THROW(validate(plan));
}

}  // namespace
}  // namespace relpos::bench
