#pragma once
// The weight gradient (SPEC.md part 2, "Backward"): dW [c_z, F] of sum(p * G)
// for grad_output G [B, N, N, c_z]; what the any-order bound needs to judge
// one; and the comparison of two.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "relpos/policy.hpp"
#include "relpos/problem.hpp"

namespace relpos {

/// dW, [c_z, F] float32 (the layout of W).
using GradWeight = xt::xtensor<float, 2>;

/// Per element of dW: the exact sum S of its terms (in double: each addition
/// errs by at most 2^-53 of the running sum, far inside the 2^-24 bound),
/// sum |terms|, and per column the number of terms n (pairs with that column hot).
struct GradientTerms {
  xt::xtensor<double, 2> exact;      ///< [c_z, F]
  xt::xtensor<double, 2> magnitude;  ///< [c_z, F]
  std::vector<std::int64_t> count;   ///< [F]
};

/// Throws InputError when `grad_output` does not hold B * N * N * c_z values.
void validate_grad_output(const Problem& problem, std::span<const float> grad_output);

GradientTerms gradient_terms(const Problem& problem, std::span<const float> grad_output);

/// The sequential reference: each element's G values added in row-major
/// (b, i, j) order in float32 from +0 (the onehot backend's backward).
void sequential_weight_gradient(const Problem& problem, std::span<const float> grad_output, std::span<float> grad_weight);

/// "residue bin 3", "token bin 65", "entity", "chain bin 2" (the block and bin of column f).
std::string describe_column(const Config& config, std::int64_t f);

struct GradientMismatch {
  std::int64_t c = 0, f = 0;
  float expected = 0, got = 0;
  double exact = 0;      ///< S
  double magnitude = 0;  ///< sum |terms|
  std::int64_t terms = 0;
  double allowed = 0;
};

struct GradientComparison {
  Policy policy;
  std::int64_t elements = 0;
  std::int64_t mismatches = 0;
  double max_abs_error = 0;  ///< |got - expected|
  std::optional<GradientMismatch> first_mismatch;
  std::optional<GradientMismatch> worst_mismatch;  ///< largest error over allowance

  bool passed() const { return mismatches == 0; }
  /// Several lines: the verdict, then the first and worst elements with their column's block and bin.
  std::string report(const Config& config) const;
};

/// `got` against `expected` (both [c_z, F]) under `policy`: bitwise, ulp,
/// allclose and bound:K judge against `expected`; anyorder holds both `got`
/// and `expected` to the exact sums of `terms` (a wrong stored value fails too).
/// Throws InputError for shapes that do not fit the problem.
GradientComparison compare_gradient(const Problem& problem, const GradientTerms& terms, const GradWeight& expected,
                                    const GradWeight& got, const Policy& policy);

}  // namespace relpos
