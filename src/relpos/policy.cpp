#include "relpos/policy.hpp"

#include <charconv>
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos {

double unit_roundoff(Precision precision) { return rounds_result(precision) ? 0x1p-8 : 0x1p-24; }

namespace {

double parse_number(std::string_view text, std::string_view whole) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0)
    throw InputError(fmt::format("policy '{}': '{}' is not a non-negative number", whole, text));
  return value;
}

}  // namespace

Policy Policy::parse(std::string_view text) {
  const std::string_view whole = text;
  bool nan_equal = false;
  if (text.ends_with("+nan")) {
    nan_equal = true;
    text.remove_suffix(4);
  }
  const auto colon = text.find(':');
  const std::string_view head = text.substr(0, colon);
  const std::string_view args = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  Policy policy;
  if (head == "bitwise" && colon == std::string_view::npos) {
    policy = bitwise();
  } else if ((head == "bound" || head == "rbound" || head == "ulp") && !args.empty()) {
    const double k = parse_number(args, whole);
    policy = head == "bound" ? bound(k) : head == "rbound" ? rounded_bound(k) : ulp(k);
  } else if (head == "anyorder" && colon == std::string_view::npos) {
    policy = any_order();
  } else if (head == "allclose" && colon == std::string_view::npos) {
    policy = allclose();
  } else if (head == "allclose") {
    const auto comma = args.find(',');
    if (comma == std::string_view::npos)
      throw InputError(fmt::format("policy '{}': expected allclose:RTOL,ATOL", whole));
    policy = allclose(parse_number(args.substr(0, comma), whole), parse_number(args.substr(comma + 1), whole));
  } else {
    throw InputError(fmt::format("unknown policy '{}' (expected bitwise, bound:K, rbound:K, ulp:K, anyorder, allclose or allclose:RTOL,ATOL)",
                                 whole));
  }
  policy.nan_equal = nan_equal;
  return policy;
}

std::string Policy::str() const {
  std::string text;
  switch (kind) {
    case Kind::bitwise: text = "bitwise"; break;
    case Kind::bound: text = fmt::format("bound:{}", k); break;
    case Kind::rounded_bound: text = fmt::format("rbound:{}", k); break;
    case Kind::ulp: text = fmt::format("ulp:{}", k); break;
    case Kind::any_order: text = "anyorder"; break;
    case Kind::allclose: text = rtol < 0 ? "allclose" : fmt::format("allclose:{},{}", rtol, atol); break;
  }
  return nan_equal ? text + "+nan" : text;
}

double Policy::effective_rtol(Precision precision) const {
  if (rtol >= 0) return rtol;
  return rounds_result(precision) ? 1.6e-2 : 1.3e-6;
}

double Policy::effective_atol(Precision) const {  // torch.testing uses 1e-5 for fp32 and bf16 alike
  if (atol >= 0) return atol;
  return 1e-5;
}

double any_order_gamma(std::int64_t m) {
  const double mu = static_cast<double>(std::max<std::int64_t>(m, 0)) * 0x1p-24;
  return mu < 1 ? mu / (1 - mu) : std::numeric_limits<double>::infinity();
}

Policy reordered_sum_policy(Precision precision) {
  return rounds_result(precision) ? Policy::rounded_bound(6) : Policy::bound(6);
}

Policy policy_for_backend(const Policy& declared, bool exact_order, Precision precision) {
  if (exact_order) return declared;
  if (declared.kind == Policy::Kind::bitwise || declared.kind == Policy::Kind::ulp) {
    Policy relaxed = reordered_sum_policy(precision);
    relaxed.nan_equal = declared.nan_equal;
    return relaxed;
  }
  return declared;
}

}  // namespace relpos
