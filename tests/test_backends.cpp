// Every backend against the sequential one-hot reference, in every mode.
#include <gtest/gtest.h>

#include <cmath>

#include <xsimd/xsimd.hpp>
#include <xtensor/xview.hpp>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/compare.hpp"
#include "relpos/errors.hpp"
#include "relpos/layouts/builtin_layouts.hpp"
#include "relpos/io/verify.hpp"
#include "relpos/synthetic_weights.hpp"
#include "test_layouts.hpp"

namespace relpos {
namespace {

using Case = testing::LayoutCase;

class EveryLayout : public ::testing::TestWithParam<Case> {};

TEST_P(EveryLayout, CpuLookupIsBitwiseEqualToOnehot) {
  const Case& c = GetParam();
  const Weights weights = protenix_synthetic_weights(c.config, 11);
  const Problem problem{c.config, c.layout, weights};
  const auto reference = compute_fp32(*make_backend("onehot"), problem);
  for (int threads : {1, 2, 3})
    for (Streaming streaming : {Streaming::never, Streaming::always}) {
      const auto got = compute_fp32(*make_backend("cpu", {.threads = threads, .streaming = streaming}), problem);
      const Comparison result = compare_tensors(problem, reference, got, Precision::fp32, Policy::bitwise());
      EXPECT_TRUE(result.passed()) << "threads=" << threads << " streaming=" << int(streaming) << "\n"
                                   << result.report();
    }
}

TEST_P(EveryLayout, OnehotBlasIsWithinBound6) {
  const Case& c = GetParam();
  const Weights weights = protenix_synthetic_weights(c.config, 12);
  const Problem problem{c.config, c.layout, weights};
  const auto reference = compute_fp32(*make_backend("onehot"), problem);
  const auto got = compute_fp32(*make_backend("onehot-blas", {.chunk_rows = 97}), problem);
  const Comparison result = compare_tensors(problem, reference, got, Precision::fp32, Policy::bound(6));
  EXPECT_TRUE(result.passed()) << result.report();
}

TEST_P(EveryLayout, Bf16ModeIsTheReferenceRoundedOnce) {
  const Case& c = GetParam();
  const Weights weights = protenix_synthetic_weights(c.config, 13);
  const Problem problem{c.config, c.layout, weights};
  auto rounded = compute_fp32(*make_backend("onehot"), problem);
  for (float& v : rounded) v = round_to_bf16(v);
  for (const char* name : {"onehot", "cpu"}) {
    const auto got = compute_bf16_as_float(*make_backend(name, {.streaming = Streaming::always}), problem);
    const Comparison result = compare_tensors(problem, rounded, got, Precision::bf16, Policy::bitwise());
    EXPECT_TRUE(result.passed()) << name << "\n" << result.report();
  }
}

TEST_P(EveryLayout, AccumulateAddsIntoTheExistingTensor) {
  const Case& c = GetParam();
  const Weights weights = protenix_synthetic_weights(c.config, 14);
  const Problem problem{c.config, c.layout, weights};
  const auto p = compute_fp32(*make_backend("onehot"), problem);
  xt::xtensor<float, 4> z0(problem.output_shape());
  for (std::size_t k = 0; k < z0.size(); ++k) z0.data()[k] = std::ldexp(static_cast<float>(k % 97) - 48.0f, -5);
  xt::xtensor<float, 4> expected = z0;
  for (std::size_t k = 0; k < expected.size(); ++k) expected.data()[k] = z0.data()[k] + p.data()[k];
  for (const char* name : {"onehot", "cpu"}) {
    xt::xtensor<float, 4> z = z0;
    make_backend(name, {.threads = 2, .chunk_rows = 50})->run(problem, PairOutput::accumulate(z));
    const Comparison result = compare_tensors(problem, expected, z, Precision::fp32, Policy::bitwise());
    EXPECT_TRUE(result.passed()) << name << "\n" << result.report();
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, EveryLayout, ::testing::ValuesIn(testing::backend_layout_cases()),
                         [](const auto& info) { return info.param.name; });

// The BLAS one-hot product as PyTorch's autocast emulation runs it (bf16-rounded
// W, fp32 GEMM, one rounding): within rbound:6 of the regime's exact sum, and
// outside bitwise often enough that the policy really matters.
TEST(OnehotBlas, AutocastEmulationIsHeldToTheRoundedBound) {
  Config config;
  config.precision = Precision::bf16_autocast;
  config.cyclic = Cyclic::boltz;
  const Layout layout = builtin_layout("cyclic_peptides");
  const Weights weights = protenix_synthetic_weights(config, 14);
  const Problem problem{config, layout, weights};
  const auto reference = compute_in_precision(*make_backend("onehot"), problem);
  const auto blas = compute_in_precision(*make_backend("onehot-blas", {.chunk_rows = 333}), problem);
  const Comparison bounded = compare_tensors(problem, reference, blas, config.precision, Policy::rounded_bound(6));
  EXPECT_TRUE(bounded.passed()) << bounded.report();
  EXPECT_EQ(policy_for_backend(Policy::bitwise(), make_backend("onehot-blas")->exact_order(), config.precision),
            Policy::rounded_bound(6));
}

TEST(Backends, AutocastAndThePlainBf16RegimeDifferOnTruncNormalWeights) {
  // SPEC.md part 2: rounding W first changes about 40% of the bf16 results.
  Config config;
  const Layout layout = builtin_layout("antibody_antigen");
  const Weights weights = protenix_synthetic_weights(config, 15);
  for (const char* name : {"onehot", "cpu"}) {
    config.precision = Precision::bf16;
    const auto plain = compute_in_precision(*make_backend(name), Problem{config, layout, weights});
    config.precision = Precision::bf16_autocast;
    const auto autocast = compute_in_precision(*make_backend(name), Problem{config, layout, weights});
    std::size_t different = 0;
    for (std::size_t k = 0; k < plain.size(); ++k) different += plain.data()[k] != autocast.data()[k];
    const double fraction = static_cast<double>(different) / static_cast<double>(plain.size());
    EXPECT_GT(fraction, 0.2) << name;
    EXPECT_LT(fraction, 0.6) << name;
  }
}

TEST(Backend, CyclicBoltzNeedsPeriods) {
  Config config{4, 1, 3};
  config.cyclic = Cyclic::boltz;
  const Layout layout = testing::monomer(3, 1);
  const Weights weights = protenix_synthetic_weights(config, 1);
  EXPECT_THROW(compute_fp32(*make_backend("cpu"), Problem{config, layout, weights}), InputError);
  IdArray negative = IdArray::from_shape({1, 3});
  negative.fill(-1);
  EXPECT_THROW(layout.with_periods(negative), InputError);
}

TEST(Backend, TheWrapIsDecidedOverTheWholeBatch) {
  // cyclic_batch: element 1 is linear with a 6000-residue jump; batched with a
  // cyclic element it folds, alone it does not.
  Config config{32, 2, 4};
  config.cyclic = Cyclic::boltz;
  const Layout batch = builtin_layout("cyclic_batch");
  const Weights weights = protenix_synthetic_weights(config, 2);
  EXPECT_TRUE(Problem(config, batch, weights).bins().wrap);
  const Layout linear = batch.element(1);
  EXPECT_FALSE(Problem(config, linear, weights).bins().wrap);
  const auto together = compute_fp32(*make_backend("cpu"), Problem{config, batch, weights});
  const auto alone = compute_fp32(*make_backend("cpu"), Problem{config, linear, weights});
  const std::size_t slice = alone.size();
  bool differs = false;
  for (std::size_t k = 0; k < slice; ++k) differs = differs || together.data()[slice + k] != alone.data()[k];
  EXPECT_TRUE(differs) << "the linear element must change when batched with a cyclic one";
}

TEST(OnehotBackend, ChunkSizeDoesNotChangeABit) {
  const Config config{6, 2, 19};
  const Layout layout = testing::protein_with_ligand();
  const Weights weights = protenix_synthetic_weights(config, 15);
  const Problem problem{config, layout, weights};
  const auto whole = compute_fp32(*make_backend("onehot", {.chunk_rows = 1 << 20}), problem);
  for (std::int64_t chunk : {1, 7, 64, 1000}) {
    const auto got = compute_fp32(*make_backend("onehot", {.chunk_rows = chunk}), problem);
    const Comparison result = compare_tensors(problem, whole, got, Precision::fp32, Policy::bitwise());
    EXPECT_TRUE(result.passed()) << "chunk_rows=" << chunk << "\n" << result.report();
  }
}

TEST(Backend, RejectsAnOutputOfTheWrongShape) {
  const Config config{2, 1, 4};
  const Layout layout = testing::monomer(5, 0);
  const Weights weights = protenix_synthetic_weights(config, 1);
  xt::xtensor<float, 4> wrong(std::array<std::size_t, 4>{1, 5, 5, 3});
  EXPECT_THROW(make_backend("cpu")->run(Problem{config, layout, weights}, PairOutput::write(wrong)), InputError);
}

TEST(Backend, RejectsWeightsThatDoNotFitTheConfig) {
  const Config config{2, 1, 4};
  const Layout layout = testing::monomer(3, 0);
  const Weights weights = protenix_synthetic_weights(Config{3, 1, 4}, 1);
  EXPECT_THROW(compute_fp32(*make_backend("onehot"), Problem{config, layout, weights}), InputError);
}

TEST(Backend, RejectsNonFiniteWeights) {
  const Config config{2, 1, 4};
  const Layout layout = testing::monomer(3, 0);
  Weights weights = protenix_synthetic_weights(config, 1);
  weights(1, 2) = std::numeric_limits<float>::infinity();
  EXPECT_THROW(compute_fp32(*make_backend("cpu"), Problem{config, layout, weights}), InputError);
}

// A writer that skips an element must not pass for a correct one: the buffer starts as NaN.
TEST(Backend, ElementsAWriterSkipsReadAsNaN) {
  const Config config{4, 1, 3};
  const Problem problem{config, testing::monomer(2, 0), protenix_synthetic_weights(config, 5)};
  const auto writes_all_but_first = [&](const Problem& p, const PairOutput& out) {
    const auto full = compute_fp32(*make_backend("cpu"), p);
    for (std::int64_t k = 1; k < out.elements(); ++k) {
      if (out.mode == OutputMode::write_bf16) {
        out.bf16()[k] = bf16_round(full.data()[k]);
      } else {
        out.fp32()[k] = full.data()[k];
      }
    }
  };
  const auto fp32 = compute_fp32(writes_all_but_first, problem);
  EXPECT_TRUE(std::isnan(fp32.data()[0]));
  EXPECT_FALSE(std::isnan(fp32.data()[1]));
  const auto bf16 = compute_bf16_as_float(writes_all_but_first, problem);
  EXPECT_TRUE(std::isnan(bf16.data()[0]));
  EXPECT_FALSE(std::isnan(bf16.data()[1]));
}

TEST(Backend, AnOutputTooLargeToAddressIsAnInputError) {
  const Layout layout = testing::monomer(std::int64_t{1} << 17, 0);  // 2^34 pairs
  EXPECT_NO_THROW(validate_output_size(layout, Config{32, 2, 128}));  // 8.8 TB: addressable, if absurd
  EXPECT_THROW(validate_output_size(layout, Config{32, 2, 1 << 29}), InputError);  // 2^65 bytes
}

TEST(Backend, UnknownNameIsAnInputError) { EXPECT_THROW(make_backend("gpu"), InputError); }

}  // namespace
}  // namespace relpos

namespace relpos {
namespace {

// 64-byte aligned output and c_z a multiple of 16: the only case where the CPU
// lookup takes its non-temporal store path, in every mode that streams.
TEST(CpuLookup, StreamingStoresOnAlignedOutputAreExact) {
  const Config config{7, 2, 48};
  const Layout layout = testing::protein_with_ligand();
  const Weights weights = protenix_synthetic_weights(config, 21);
  const Problem problem{config, layout, weights};
  const auto reference = compute_fp32(*make_backend("onehot"), problem);
  const std::size_t count = reference.size();
  const auto cpu = make_backend("cpu", {.threads = 2, .streaming = Streaming::always});

  std::vector<float, xsimd::aligned_allocator<float, 64>> fp32(count, -1.0f);
  cpu->run(problem, PairOutput::write(fp32.data(), 1, layout.tokens(), config.c_z));
  EXPECT_TRUE(std::equal(fp32.begin(), fp32.end(), reference.begin()));

  std::vector<bf16_bits, xsimd::aligned_allocator<bf16_bits, 64>> bf16(count, 0xffff);
  cpu->run(problem, PairOutput::write_bf16(bf16.data(), 1, layout.tokens(), config.c_z));
  for (std::size_t k = 0; k < count; ++k)
    ASSERT_EQ(bf16[k], bf16_round(reference.data()[k])) << "element " << k;
}

}  // namespace
}  // namespace relpos

namespace relpos {
namespace {

TEST(PairOutput, WritesIntoAViewOfOneBatchElement) {
  const Config config{3, 1, 5};
  const Layout layout = testing::batch_of_three();
  const Weights weights = protenix_synthetic_weights(config, 2);
  const auto whole = compute_fp32(*make_backend("onehot"), Problem{config, layout, weights});
  const Layout second = layout.element(1);
  xt::xtensor<float, 4> z = xt::zeros<float>(whole.shape());
  auto slot = xt::view(z, xt::range(1, 2), xt::all(), xt::all(), xt::all());
  make_backend("cpu")->run(Problem{config, second, weights}, PairOutput::of(OutputMode::write_fp32, slot));
  const xt::xtensor<float, 4> written = slot;
  const xt::xtensor<float, 4> expected = xt::view(whole, xt::range(1, 2), xt::all(), xt::all(), xt::all());
  EXPECT_EQ(written, expected);
  const xt::xtensor<float, 3> untouched = xt::view(z, 0, xt::all(), xt::all(), xt::all());
  EXPECT_TRUE(std::all_of(untouched.begin(), untouched.end(), [](float v) { return v == 0.0f; }));
}

TEST(PairOutput, RefusesAStridedView) {
  xt::xtensor<float, 4> z = xt::zeros<float>({1, 4, 4, 6});
  auto every_other_channel = xt::view(z, xt::all(), xt::all(), xt::all(), xt::range(0, 6, 2));
  EXPECT_THROW(PairOutput::of(OutputMode::write_fp32, every_other_channel), InputError);
}

}  // namespace
}  // namespace relpos
