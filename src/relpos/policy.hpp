#pragma once
// Named tolerance policies (README "Tolerance policy").
#include <string>
#include <string_view>

namespace relpos {

/// The precision of the values being compared.
enum class Precision { fp32, bf16 };
std::string_view to_string(Precision precision);
/// "fp32" or "bf16"; throws InputError otherwise.
Precision parse_precision(std::string_view name);
/// Unit roundoff: 2^-24 for fp32, 2^-8 for bf16.
double unit_roundoff(Precision precision);

struct Policy {
  enum class Kind {
    bitwise,   ///< identical bits; +0 == -0
    bound,     ///< |got - ref| <= k * u * sum |terms|: any reordered summation
    ulp,       ///< ULP distance <= k (in the compared precision)
    allclose,  ///< |got - ref| <= atol + rtol * |ref| (torch.testing defaults per dtype)
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

  /// "bitwise", "bound:K", "ulp:K", "allclose", "allclose:RTOL,ATOL", each
  /// optionally followed by "+nan" (NaN equal). Throws InputError.
  static Policy parse(std::string_view text);
  std::string str() const;
  /// rtol/atol in force for this precision (the explicit ones or torch's defaults).
  double effective_rtol(Precision precision) const;
  double effective_atol(Precision precision) const;

  friend bool operator==(const Policy&, const Policy&) = default;
};

/// The policy a backend is held to for a fixture whose own policy is `declared`:
/// a backend that reorders the sum cannot be held to bitwise or ULP equality
/// and is held to bound:6 instead (SPEC.md: K = 6 covers any order).
Policy policy_for_backend(const Policy& declared, bool exact_order);

}  // namespace relpos
