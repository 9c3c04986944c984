#pragma once
// The comparator: how far a computed pair tensor is from the expected one,
// and whether that is acceptable under a named policy.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <xtensor/xtensor.hpp>

#include "relpos/bins.hpp"
#include "relpos/policy.hpp"
#include "relpos/problem.hpp"

namespace relpos {

struct ElementIndex {
  std::int64_t b = 0, i = 0, j = 0, c = 0;
  friend bool operator==(const ElementIndex&, const ElementIndex&) = default;
};

/// Everything worth saying about one element: where, which pair, its bins, the values.
struct ElementReport {
  ElementIndex at;
  TokenIds row;
  TokenIds col;
  PairBins bins;
  float expected = 0;
  float got = 0;
  double abs_error = 0;
  double rel_error = 0;
  double ulp = 0;
  double allowed = 0;  ///< the policy's allowance for this element (bound / rbound / allclose)
  double low = 0;      ///< rbound: the interval [low, high] got had to lie in
  double high = 0;
  bool has_interval = false;  ///< rbound: report [low, high] even when it collapses to one value
};

struct Comparison {
  Policy policy;
  Precision precision = Precision::fp32;
  std::int64_t elements = 0;
  std::int64_t mismatches = 0;
  double max_abs_error = 0;
  ElementIndex max_abs_at;
  double max_rel_error = 0;
  ElementIndex max_rel_at;
  double max_ulp = 0;  ///< in units of the compared precision; infinite when a NaN meets a number
  ElementIndex max_ulp_at;
  std::optional<ElementReport> first_mismatch;
  std::optional<ElementReport> worst_mismatch;  ///< largest |err| / allowance

  bool passed() const { return mismatches == 0; }
  double mismatch_percent() const { return elements == 0 ? 0.0 : 100.0 * double(mismatches) / double(elements); }
  /// One line: verdict, counts, maxima.
  std::string summary() const;
  /// Several lines for a failure: the summary plus the first and worst mismatching pairs.
  std::string report() const;
  /// Keeps the largest errors seen so far and where they are.
  void note_extremes(const ElementIndex& at, double abs_error, double rel_error, double ulp);
};

/// Compares `got` with `expected`, both [B, N, N, c_z] for `problem`.
/// Throws InputError when a span's size does not match the problem.
Comparison compare(const Problem& problem, std::span<const float> expected, std::span<const float> got,
                   Precision precision, const Policy& policy);

/// compare() for two host [B, N, N, c_z] tensors.
inline Comparison compare_tensors(const Problem& problem, const xt::xtensor<float, 4>& expected,
                                  const xt::xtensor<float, 4>& got, Precision precision, const Policy& policy) {
  return compare(problem, {expected.data(), expected.size()}, {got.data(), got.size()}, precision, policy);
}

/// ULP distance in `precision` (0 for +0/-0; infinite when exactly one is NaN).
double ulp_distance(float a, float b, Precision precision);

/// `value` rounded to the nearest bf16 (ties to even) in one step, without
/// passing through float: the R of the rounded-bound policy. Overflow gives inf.
double round_to_bf16_exactly(double value);

std::string describe(const ElementReport& element);

}  // namespace relpos
