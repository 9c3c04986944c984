#pragma once
// Named tolerance policies (README "Tolerance policy").
#include <string>
#include <string_view>

#include "relpos/config.hpp"

namespace relpos {

/// Unit roundoff of the values a regime produces: 2^-24 for fp32, 2^-8 for both bf16 regimes.
double unit_roundoff(Precision precision);

struct Policy {
  enum class Kind {
    bitwise,   ///< identical bits; +0 == -0
    bound,     ///< |got - ref| <= k * u * sum |terms|: any reordered summation
    ulp,       ///< ULP distance <= k (in the compared precision)
    allclose,  ///< |got - ref| <= atol + rtol * |ref| (torch.testing defaults per dtype)
    /// R(S - b) <= got <= R(S + b), S the exact sum of the regime's terms,
    /// b = k * 2^-24 * sum |terms|, R the regime's final rounding (SPEC.md part 2):
    /// any summation order of the fp32 intermediate, nothing in the wrong
    /// precision. The expected value is held to the same interval.
    rounded_bound,
    /// |got - S| <= gamma(n - 1) * sum |terms|, gamma(m) = m u / (1 - m u), u = 2^-24, S the
    /// exact sum and n the element's term count: Higham's bound for any summation
    /// order (SPEC.md part 2, the weight gradient; a pair's n is its 3 or 4 terms).
    any_order,
  };
  Kind kind = Kind::bitwise;
  double k = 0;       ///< bound: K; ulp: K
  double rtol = -1;   ///< allclose; negative = torch.testing's default for the precision
  double atol = -1;
  bool nan_equal = false;  ///< NaN compares equal to NaN (never by default)

  static Policy bitwise() { return {}; }
  static Policy bound(double k) { return {Kind::bound, k}; }
  static Policy ulp(double k) { return {Kind::ulp, k}; }
  static Policy allclose(double rtol = -1, double atol = -1) { return {Kind::allclose, 0, rtol, atol}; }
  static Policy rounded_bound(double k) { return {Kind::rounded_bound, k}; }
  static Policy any_order() { return {Kind::any_order}; }

  /// "bitwise", "bound:K", "rbound:K", "ulp:K", "allclose", "allclose:RTOL,ATOL", "anyorder",
  /// each optionally followed by "+nan" (NaN equal). Throws InputError.
  static Policy parse(std::string_view text);
  std::string str() const;
  /// rtol/atol in force for this precision (the explicit ones or torch's defaults).
  double effective_rtol(Precision precision) const;
  double effective_atol(Precision precision) const;

  friend bool operator==(const Policy&, const Policy&) = default;
};

/// The policy for an implementation that reorders the sum in `precision`:
/// bound:6 in fp32 (SPEC.md: K = 6 covers any order), rbound:6 in the bf16
/// regimes (u = 2^-8 bounds would let bf16 arithmetic through).
Policy reordered_sum_policy(Precision precision);

/// gamma(m) = m u / (1 - m u) with u = 2^-24: the any-order bound's factor for m + 1 terms.
double any_order_gamma(std::int64_t m);

/// The policy a backend is held to for a fixture whose own policy is `declared`:
/// a backend that reorders the sum cannot be held to bitwise or ULP equality
/// and is held to reordered_sum_policy(precision) instead.
Policy policy_for_backend(const Policy& declared, bool exact_order, Precision precision = Precision::fp32);

}  // namespace relpos
