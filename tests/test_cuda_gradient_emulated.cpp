// The CUDA weight gradient's kernel code (src/relpos/cuda/gradient_core.hpp)
// run on the host, block by block and thread by thread: every slot's rows,
// every channel owned by exactly one thread, the slot order of the reduction.
// Checked without a GPU against the sequential reference (anyorder) and
// against itself for other block sizes (bitwise: the order of each sum does
// not depend on how channels are spread over threads).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "relpos/backends/registry.hpp"
#include "relpos/cuda/gradient_core.hpp"
#include "relpos/gradient.hpp"
#include "test_layouts.hpp"

namespace relpos {
namespace {

using cuda::detail::GradientParams;
using cuda::detail::kGradientSlots;

// The two kernels, emulated: slots in any order (each writes only its own
// partial), threads one after another, then the slot-order reduction.
GradWeight emulated_gradient(const Problem& problem, const std::vector<float>& g, int threads) {
  const Config& config = problem.config;
  const std::int64_t features = config.feature_width();
  std::vector<std::int64_t> periods(problem.layout.asym_id.size(), 0);
  if (problem.layout.has_periods()) std::copy(problem.layout.cyclic_period.begin(), problem.layout.cyclic_period.end(), periods.begin());
  std::vector<float> partials(static_cast<std::size_t>(kGradientSlots * features * config.c_z), -1.0f);
  GradWeight dw({static_cast<std::size_t>(config.c_z), static_cast<std::size_t>(features)});
  GradientParams p{};
  p.bins = problem.bins();
  p.ids = {problem.layout.asym_id.data(), problem.layout.residue_index.data(), problem.layout.entity_id.data(),
           problem.layout.sym_id.data(), problem.layout.token_index.data(), periods.data()};
  p.grad_output = g.data();
  p.partials = partials.data();
  p.grad_weight = dw.data();
  p.batch = problem.layout.batch();
  p.tokens = problem.layout.tokens();
  p.channels = config.c_z;
  p.features = static_cast<std::int32_t>(features);
  for (std::int64_t slot = kGradientSlots - 1; slot >= 0; --slot) {
    float* acc = partials.data() + slot * features * config.c_z;  // the global-histogram variant
    for (int thread = 0; thread < threads; ++thread) cuda::detail::clear_histogram(p, thread, threads, acc);
    for (int thread = threads - 1; thread >= 0; --thread) cuda::detail::gradient_slot(p, slot, thread, threads, acc);
  }
  for (std::int64_t element = 0; element < config.c_z * features; ++element) cuda::detail::reduce_slots(p, element);
  return dw;
}

std::vector<float> pattern_g(const Problem& problem, bool integers) {
  const auto shape = problem.output_shape();
  std::vector<float> g(shape[0] * shape[1] * shape[2] * shape[3]);
  for (std::size_t k = 0; k < g.size(); ++k) {
    const auto v = static_cast<float>(static_cast<int>(k * 2654435761u % 2001) - 1000);
    g[k] = integers ? std::floor(v / 200.0f) : v * 1.37e-3f;
  }
  return g;
}

TEST(CudaGradientEmulated, EveryLayoutIsWithinTheAnyOrderBoundOfTheReference) {
  for (const testing::LayoutCase& c : testing::backend_layout_cases()) {
    const Weights weights(std::array<std::size_t, 2>{static_cast<std::size_t>(c.config.c_z),
                                                     static_cast<std::size_t>(c.config.feature_width())},
                          0.0f);
    const Problem problem{c.config, c.layout, weights};
    for (bool integers : {true, false}) {
      const std::vector<float> g = pattern_g(problem, integers);
      const GradWeight got = emulated_gradient(problem, g, 5);
      const GradWeight reference = compute_weight_gradient(*make_backend("onehot"), problem, g);
      const Policy policy = integers ? Policy::bitwise() : Policy::any_order();  // integer G sums exactly
      const GradientComparison verdict = compare_gradient(problem, gradient_terms(problem, g), reference, got, policy);
      EXPECT_TRUE(verdict.passed()) << c.name << (integers ? " integer G\n" : " normal G\n")
                                    << verdict.report(problem.config);
    }
  }
}

TEST(CudaGradientEmulated, TheBlockSizeChangesNotABit) {
  const Config config{6, 2, 37};
  const Layout layout = testing::chains({23, 31, 1, 12});
  const Weights weights(std::array<std::size_t, 2>{37, static_cast<std::size_t>(config.feature_width())}, 0.0f);
  const Problem problem{config, layout, weights};
  const std::vector<float> g = pattern_g(problem, false);
  const GradWeight one = emulated_gradient(problem, g, 1);
  for (int threads : {2, 7, 32, 128}) {
    const GradWeight other = emulated_gradient(problem, g, threads);
    EXPECT_EQ(std::memcmp(one.data(), other.data(), one.size() * sizeof(float)), 0) << threads << " threads";
  }
}

}  // namespace
}  // namespace relpos
