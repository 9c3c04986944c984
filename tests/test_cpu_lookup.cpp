// The CPU lookup's fast paths (pair table of finished sums, runs of equal
// keys, vectorised keys) against the sequential one-hot reference, bit for bit.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <xsimd/xsimd.hpp>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/backends/cpu_lookup.hpp"
#include "relpos/bench/bench_layout.hpp"
#include "relpos/compare.hpp"
#include "relpos/layouts/builtin_layouts.hpp"
#include "relpos/synthetic_weights.hpp"
#include "test_layouts.hpp"

namespace relpos {
namespace {

template <class T>
using Aligned = std::vector<T, xsimd::aligned_allocator<T, 64>>;

// Runs `backend` in `mode` into a 64-byte aligned buffer (so Streaming::always
// really streams) and widens the result to float.
std::vector<float> run_mode(const Backend& backend, const Problem& problem, OutputMode mode,
                            const std::vector<float>& z0 = {}) {
  const std::int64_t n = problem.layout.tokens();
  const std::int64_t b = problem.layout.batch();
  const std::size_t count = static_cast<std::size_t>(b * n * n * problem.config.c_z);
  if (mode == OutputMode::write_bf16) {
    Aligned<bf16_bits> out(count, 0xffff);
    backend.run(problem, PairOutput::write_bf16(out.data(), b, n, problem.config.c_z));
    std::vector<float> wide(count);
    for (std::size_t k = 0; k < count; ++k) wide[k] = bf16_to_float(out[k]);
    return wide;
  }
  Aligned<float> out(count, -7.0f);
  if (mode == OutputMode::accumulate) std::copy(z0.begin(), z0.end(), out.begin());
  backend.run(problem, mode == OutputMode::accumulate ? PairOutput::accumulate(out.data(), b, n, problem.config.c_z)
                                                      : PairOutput::write(out.data(), b, n, problem.config.c_z));
  return {out.begin(), out.end()};
}

// What each mode must give, from the definition (SPEC.md part 2): the regime's
// terms ((t1 + t2) + t3) + t4 in fp32, rounded once to bf16 in the bf16 regimes,
// then stored (write_bf16 rounds once more: a no-op on a bf16 value) or added to z0.
std::vector<float> expected_for(const Problem& problem, OutputMode mode, const std::vector<float>& z0) {
  const BinParams params = problem.bins();
  const Precision regime = problem.config.precision;
  const std::int64_t n = problem.layout.tokens(), channels = problem.config.c_z;
  std::vector<float> expected;
  for (std::int64_t b = 0; b < problem.layout.batch(); ++b)
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        const HotColumns hot = hot_columns(params, pair_bins(params, problem.layout.token(b, i), problem.layout.token(b, j)));
        for (std::int64_t c = 0; c < channels; ++c) {
          const auto w = [&](std::int32_t column) {
            const float value = problem.weights(c, column);
            return rounds_weights(regime) ? round_to_bf16(value) : value;
          };
          float sum = w(hot.residue) + w(hot.token);
          if (hot.entity >= 0) sum += w(hot.entity);
          sum += w(hot.chain);
          const float p = rounds_result(regime) ? round_to_bf16(sum) : sum;
          const std::size_t k = expected.size();
          expected.push_back(mode == OutputMode::write_bf16   ? round_to_bf16(p)
                             : mode == OutputMode::accumulate ? z0[k] + p
                                                              : p);
        }
      }
  return expected;
}

// Chains whose residue_index runs forwards with repeats, backwards, and shuffled.
Layout residues_in_every_order() {
  std::vector<std::int64_t> backwards;
  for (std::int64_t r = 12; r >= 1; --r) backwards.push_back(r);
  return ComplexBuilder()
      .residues({0, 0, 0}, {1, 2, 2, 2, 3, 5, 9, 10, 11, 11, 12, 20})
      .residues({1, 0, 1}, backwards)
      .residues({2, 1, 0}, {4, 1, 7, 3, 3, 9, 2, 8, 5, 6})
      .build();
}

void expect_every_mode_exact(const Config& config, const Layout& layout, const std::string& label) {
  const Weights weights = protenix_synthetic_weights(config, 31);
  const Problem problem{config, layout, weights};
  const std::string regime = fmt::format("{} ({})", label, describe(config));
  const std::size_t count = static_cast<std::size_t>(layout.batch() * layout.tokens() * layout.tokens() * config.c_z);
  std::vector<float> z0(count);
  for (std::size_t k = 0; k < count; ++k) z0[k] = std::ldexp(static_cast<float>(k % 61) - 30.0f, -4);
  for (OutputMode mode : {OutputMode::write_fp32, OutputMode::write_bf16, OutputMode::accumulate}) {
    const std::vector<float> expected = expected_for(problem, mode, z0);
    for (int threads : {1, 2, 3})
      for (Streaming streaming : {Streaming::never, Streaming::always}) {
        const auto cpu = make_backend("cpu", {.threads = threads, .streaming = streaming});
        const std::vector<float> got = run_mode(*cpu, problem, mode, z0);
        const Comparison result =
            compare(problem, {expected.data(), expected.size()}, {got.data(), got.size()},
                    mode == OutputMode::write_bf16 ? Precision::bf16 : Precision::fp32, Policy::bitwise());
        EXPECT_TRUE(result.passed()) << regime << " mode=" << to_string(mode) << " threads=" << threads
                                     << " streaming=" << int(streaming) << "\n"
                                     << result.report();
      }
  }
}

TEST(CpuLookup, BenchmarkComplexIsExactInEveryMode) {
  // 150 tokens: chains, a per-atom residue and ligands, so runs of equal
  // keys, key blocks with tails and the summed same-residue pairs all occur.
  expect_every_mode_exact(Config{}, bench::bench_layout(150), "bench_layout(150)");
}

TEST(CpuLookup, PaperVariantIsExact) {
  Config config;
  config.variant = Variant::paper;
  expect_every_mode_exact(config, bench::bench_layout(90), "paper variant");
}

TEST(CpuLookup, ChannelsThatAreNoWholeVectorAreExact) {
  expect_every_mode_exact(Config{32, 2, 17}, bench::bench_layout(70), "c_z 17");
  expect_every_mode_exact(Config{5, 1, 40}, testing::modified_residue_with_gap(), "c_z 40");
}

TEST(CpuLookup, ATableTooLargeForItsCapFallsBackToSumming) {
  // r_max 200, c_z 256: the pair table would be 3.3 MB, far over its cap.
  const Config config{200, 2, 256};
  EXPECT_EQ(cpu_lookup_workspace_bytes(config, OutputMode::write_fp32, 0),
            static_cast<std::size_t>(config.feature_width() * 256) * sizeof(float));
  expect_every_mode_exact(config, bench::bench_layout(40), "no pair table");
}

TEST(CpuLookup, IdsNearTheInt64LimitsUseTheExactKeys) {
  // Differences of these ids overflow int64: the vectorised keys must not be used.
  constexpr std::int64_t kBig = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kSmall = std::numeric_limits<std::int64_t>::min();
  const Layout layout = Layout::from_arrays(
      {0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3},                                                                       // asym
      {kSmall, kSmall + 1, kSmall + 40, kBig, kBig - 3, 0, 1, 2, 3, 9, 9}, {0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2},  // entity
      {kBig, kBig, kBig, kSmall, kSmall, 0, 0, 0, 0, 5, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  expect_every_mode_exact(Config{32, 2, 48}, layout, "extreme ids");
  expect_every_mode_exact(Config{4, 1, 16}, testing::batch_of_three(), "batched");
}

TEST(CpuLookup, ChainsSplitIntoSeveralSegmentsAreExact) {
  // A chain that comes back after another one, entity and sym changing inside
  // one asym_id, single-token segments: every way the column segments can fall.
  const Layout layout = Layout::from_arrays(
      {0, 0, 0, 1, 1, 0, 0, 2, 3, 2, 2, 2, 4, 4, 4, 4, 1, 0}, {1, 2, 3, 1, 2, 4, 5, 1, 1, 2, 2, 3, 7, 7, 8, 40, 3, 6},
      {0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 3, 3, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 2, 2, 3, 3, 1, 0},
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17});
  expect_every_mode_exact(Config{32, 2, 32}, layout, "split chains");
  Config paper{2, 1, 16};
  paper.variant = Variant::paper;
  expect_every_mode_exact(paper, layout, "split chains, paper");
}

TEST(CpuLookup, ResidueOrderAndTinyClipsAreExact) {
  // Own-chain columns take the shortcut only where residues never decrease:
  // a chain numbered backwards and one shuffled must give the same bits.
  const Layout layout = residues_in_every_order();
  expect_every_mode_exact(Config{3, 1, 16}, layout, "residue order");
  expect_every_mode_exact(Config{0, 0, 16}, layout, "r_max 0");
  expect_every_mode_exact(Config{0, 0, 32}, bench::bench_layout(80), "r_max 0, bench layout");
  expect_every_mode_exact(Config{1, 0, 16}, bench::bench_layout(80), "r_max 1, bench layout");
}

// Every regime, every mode, every fast path: the same bits as the definition.
void expect_every_regime_exact(Config config, const Layout& layout, const std::string& label) {
  for (Precision precision : {Precision::fp32, Precision::bf16, Precision::bf16_autocast}) {
    config.precision = precision;
    expect_every_mode_exact(config, layout, label);
  }
}

TEST(CpuLookup, EveryPrecisionRegimeIsExact) {
  expect_every_regime_exact(Config{}, bench::bench_layout(120), "bench_layout(120)");
  expect_every_regime_exact(Config{32, 2, 17}, testing::modified_residue_with_gap(), "c_z 17");
  expect_every_regime_exact(Config{200, 2, 256}, bench::bench_layout(30), "no pair table");
}

TEST(CpuLookup, BoltzCyclicChainsAreExactOnEveryPath) {
  Config config;
  config.cyclic = Cyclic::boltz;
  for (const char* name : {"cyclic_peptides", "cyclic_ties", "cyclic_huge_numbering", "cyclic_batch"})
    expect_every_regime_exact(config, builtin_layout(name), name);
  config.variant = Variant::paper;
  expect_every_mode_exact(config, builtin_layout("cyclic_peptides"), "paper + cyclic");
  Config small{3, 1, 16};
  small.cyclic = Cyclic::boltz;
  expect_every_mode_exact(small, builtin_layout("cyclic_ties"), "r_max 3 + cyclic");
}

TEST(CpuLookup, LongLinearChainsUnderTheWrapTakeTheSortedPathOnlyWhereNothingFolds) {
  // A cyclic peptide puts the wrap in force; a 300-residue chain numbered
  // 1..150 then 5101..5250 has offsets up to 5249, which the fallback folds:
  // rows near its ends must not take the unwrapped shortcut, rows whose
  // whole chain lies within 5000 may.
  ComplexBuilder builder;
  builder.residue_range({0, 0, 0, 6}, 1, 6);
  builder.residue_range({1, 1, 0}, 1, 150).residue_range({1, 1, 0}, 5101, 150);
  builder.residue_range({2, 2, 0}, 1, 80).ligand({3, 3, 0}, 5);
  Config config{32, 2, 32};
  config.cyclic = Cyclic::boltz;
  expect_every_regime_exact(config, builder.build(), "long chain under the wrap");
  // The same chain without any cyclic token: no wrap, so nothing folds.
  ComplexBuilder linear;
  linear.with_periods().residue_range({1, 1, 0}, 1, 150).residue_range({1, 1, 0}, 5101, 150);
  expect_every_mode_exact(config, linear.build(), "long chain, no cyclic token");
}

TEST(CpuLookup, WorkspaceIsTheWeightTablePairTableAndSegments) {
  const Config config;  // F = 139, c_z = 128, af3: 66 d_res x 6 chain keys
  const std::size_t weights = 139 * 128 * sizeof(float);
  const std::size_t segments = 1000 * (sizeof(std::int64_t) + 1);  // segment end + sorted flag
  EXPECT_EQ(cpu_lookup_workspace_bytes(config, OutputMode::write_fp32, 1000),
            weights + 66 * 6 * 128 * sizeof(float) + segments);
  EXPECT_EQ(cpu_lookup_workspace_bytes(config, OutputMode::accumulate, 1000),
            weights + 66 * 6 * 128 * sizeof(float) + segments);
  EXPECT_EQ(cpu_lookup_workspace_bytes(config, OutputMode::write_bf16, 1000),
            weights + 66 * 6 * 128 * sizeof(bf16_bits) + segments);
  Config paper = config;
  paper.variant = Variant::paper;  // same_entity and d_chain independent: 12 chain keys
  EXPECT_EQ(cpu_lookup_workspace_bytes(paper, OutputMode::write_fp32, 1000),
            weights + 66 * 12 * 128 * sizeof(float) + segments);
  EXPECT_EQ(cpu_lookup_workspace_bytes(config, OutputMode::write_fp32, 0), weights + 66 * 6 * 128 * sizeof(float));
}

}  // namespace
}  // namespace relpos
