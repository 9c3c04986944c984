#include "relpos/compare.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos {
namespace {

std::int64_t ordered(float value) {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  const auto magnitude = static_cast<std::int64_t>(bits & 0x7fffffffu);
  return (bits & 0x80000000u) != 0 ? -magnitude : magnitude;
}

bool identical(float a, float b, bool nan_equal) {
  if (std::isnan(a) || std::isnan(b)) return nan_equal && std::isnan(a) && std::isnan(b);
  return a == b;  // +0 == -0, inf == inf; otherwise equal floats have equal bits
}

std::string ids(const TokenIds& t) {
  std::string text = fmt::format("asym={} residue={} entity={} sym={} token={}", t.asym_id, t.residue_index,
                                 t.entity_id, t.sym_id, t.token_index);
  if (t.cyclic_period != 0) text += fmt::format(" period={}", t.cyclic_period);
  return text;
}

std::string where(const ElementIndex& at) { return fmt::format("(b={}, i={}, j={}, c={})", at.b, at.i, at.j, at.c); }

}  // namespace

double ulp_distance(float a, float b, Precision precision) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b) ? 0.0 : std::numeric_limits<double>::infinity();
  const double distance = std::abs(static_cast<double>(ordered(a) - ordered(b)));
  return rounds_result(precision) ? distance / 65536.0 : distance;
}

double round_to_bf16_exactly(double value) {
  if (value == 0 || !std::isfinite(value)) return value;
  int exponent = 0;
  std::frexp(value, &exponent);  // value = m 2^exponent, 0.5 <= |m| < 1
  // bf16 keeps 8 significant bits, down to fp32's subnormal quantum 2^-133.
  const int quantum = std::max(exponent - 8, -133);
  const double rounded = std::ldexp(std::nearbyint(std::ldexp(value, -quantum)), quantum);
  return std::abs(rounded) >= 0x1p128 ? std::copysign(std::numeric_limits<double>::infinity(), value) : rounded;
}

namespace {

// What a policy allows one element: `allowed` for the report and whether `got` passes.
struct Allowance {
  double allowed = 0;
  double low = 0, high = 0;  ///< rbound: the accepted interval
  bool ok = false;
};

// The four terms of channel c of a pair, as `precision` sums them.
std::array<double, 4> pair_terms(const Weights& w, const HotColumns& hot, std::int64_t c, Precision precision) {
  const auto term = [&](std::int32_t column) {
    return column < 0 ? 0.0 : static_cast<double>(regime_weight(precision, w(c, column)));
  };
  return {term(hot.residue), term(hot.token), term(hot.entity), term(hot.chain)};
}

Allowance allowance(const Policy& policy, Precision precision, const Weights& w, const HotColumns& hot,
                    std::int64_t c, float e, float g, double abs_error, double ulp) {
  Allowance a;
  // A NaN or an infinity is never within a distance of a value (allclose would accept inf against inf + x).
  const bool finite = std::isfinite(e) && std::isfinite(g);
  switch (policy.kind) {
    case Policy::Kind::bitwise: break;
    case Policy::Kind::bound: {
      double magnitude = 0;
      for (double t : pair_terms(w, hot, c, precision)) magnitude += std::abs(t);
      a.allowed = policy.k * unit_roundoff(precision) * magnitude;
      a.ok = finite && abs_error <= a.allowed;
      break;
    }
    case Policy::Kind::any_order: {
      double magnitude = 0;
      std::int64_t count = 0;
      for (double t : pair_terms(w, hot, c, precision)) magnitude += std::abs(t);
      for (std::int32_t column : {hot.residue, hot.token, hot.entity, hot.chain}) count += column >= 0;
      a.allowed = any_order_gamma(count - 1) * magnitude;
      a.ok = finite && !rounds_result(precision) && abs_error <= a.allowed;
      break;
    }
    case Policy::Kind::rounded_bound: {
      const std::array<double, 4> terms = pair_terms(w, hot, c, precision);
      // In double each addition errs by at most 2^-53 of the sum: far inside a 2^-24 bound.
      const double exact = ((terms[0] + terms[1]) + terms[2]) + terms[3];
      double magnitude = 0;
      for (double t : terms) magnitude += std::abs(t);
      a.allowed = policy.k * 0x1p-24 * magnitude;
      const bool rounded = rounds_result(precision);
      a.low = rounded ? round_to_bf16_exactly(exact - a.allowed) : exact - a.allowed;
      a.high = rounded ? round_to_bf16_exactly(exact + a.allowed) : exact + a.allowed;
      // Both sides are held to it: a tampered or wrong expected value fails too.
      const auto inside = [&](float v) { return std::isfinite(v) && a.low <= v && v <= a.high; };
      a.ok = inside(g) && inside(e);
      break;
    }
    case Policy::Kind::ulp:
      a.allowed = policy.k;
      a.ok = finite && ulp <= policy.k;
      break;
    case Policy::Kind::allclose:
      a.allowed = policy.effective_atol(precision) + policy.effective_rtol(precision) * std::abs(double{e});
      a.ok = finite && abs_error <= a.allowed;
      break;
  }
  return a;
}

}  // namespace

Comparison compare(const Problem& problem, std::span<const float> expected, std::span<const float> got,
                   Precision precision, const Policy& policy) {
  validate_output_size(problem.layout, problem.config);
  const std::int64_t batch = problem.layout.batch();
  const std::int64_t n = problem.layout.tokens();
  const std::int64_t channels = problem.config.c_z;
  const auto size = static_cast<std::size_t>(batch * n * n * channels);
  if (expected.size() != size || got.size() != size)
    throw InputError(fmt::format("comparison needs {} values ([{}, {}, {}, {}]) but got {} expected and {} computed",
                                 size, batch, n, n, channels, expected.size(), got.size()));

  const BinParams params = problem.bins();
  const Weights& w = problem.weights;

  Comparison result;
  result.policy = policy;
  result.precision = precision;
  result.elements = static_cast<std::int64_t>(size);
  double worst_excess = -1;

  std::size_t k = 0;
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t i = 0; i < n; ++i) {
      const TokenIds row = problem.layout.token(b, i);
      for (std::int64_t j = 0; j < n; ++j) {
        const TokenIds col = problem.layout.token(b, j);
        const PairBins bins = pair_bins(params, row, col);
        const HotColumns hot = hot_columns(params, bins);
        for (std::int64_t c = 0; c < channels; ++c, ++k) {
          const float e = expected[k];
          const float g = got[k];
          const bool same = identical(e, g, policy.nan_equal);
          const double abs_error = same ? 0.0 : std::abs(static_cast<double>(g) - static_cast<double>(e));
          const double rel_error = same ? 0.0 : (e != 0 ? abs_error / std::abs(static_cast<double>(e))
                                                        : std::numeric_limits<double>::infinity());
          const double ulp = same ? 0.0 : ulp_distance(e, g, precision);
          const ElementIndex at{b, i, j, c};
          result.note_extremes(at, abs_error, rel_error, ulp);
          // The rounded bound judges each finite value against the exact sum, equal
          // or not; identical NaNs (when allowed) and infinities pass as elsewhere.
          if (same && (policy.kind != Policy::Kind::rounded_bound || !std::isfinite(e))) continue;
          const Allowance a = allowance(policy, precision, w, hot, c, e, g, abs_error, ulp);
          if (a.ok) continue;
          ++result.mismatches;
          const bool has_nan = std::isnan(e) || std::isnan(g);
          const double measure = policy.kind == Policy::Kind::ulp ? ulp : abs_error;
          const double excess = has_nan ? std::numeric_limits<double>::infinity()
                                        : (a.allowed > 0 ? measure / a.allowed : measure + 1.0);
          if (!result.first_mismatch || excess > worst_excess) {
            const ElementReport report{at,  row,       col,     bins,   e,
                                       g,   abs_error, rel_error, ulp, a.allowed,
                                       a.low, a.high, policy.kind == Policy::Kind::rounded_bound};
            if (!result.first_mismatch) result.first_mismatch = report;
            if (excess > worst_excess) {
              worst_excess = excess;
              result.worst_mismatch = report;
            }
          }
        }
      }
    }
  }
  return result;
}

void Comparison::note_extremes(const ElementIndex& at, double abs_error, double rel_error, double ulp) {
  if (abs_error > max_abs_error || (std::isnan(abs_error) && !std::isnan(max_abs_error))) {
    max_abs_error = abs_error;
    max_abs_at = at;
  }
  if (rel_error > max_rel_error) {
    max_rel_error = rel_error;
    max_rel_at = at;
  }
  if (ulp > max_ulp) {
    max_ulp = ulp;
    max_ulp_at = at;
  }
}

std::string describe(const ElementReport& e) {
  return fmt::format(
      "pair (i={}, j={}) of batch element {} at channel {}\n"
      "      row token: {}\n"
      "      col token: {}\n"
      "      bins: d_res={} d_tok={} same_entity={} d_chain={} ({})\n"
      "      expected {:.9g} (0x{:08x}), got {:.9g} (0x{:08x}), |err| {:.3g}, rel {:.3g}, ulp {:g}, allowed {}",
      e.at.i, e.at.j, e.at.b, e.at.c, ids(e.row), ids(e.col), e.bins.d_res, e.bins.d_tok, int(e.bins.same_entity),
      e.bins.d_chain, e.bins.same_chain ? "same chain" : "different chains", e.expected,
      std::bit_cast<std::uint32_t>(e.expected), e.got, std::bit_cast<std::uint32_t>(e.got), e.abs_error, e.rel_error,
      e.ulp,
      e.has_interval ? fmt::format("[{:.9g}, {:.9g}] (bound {:.3g})", e.low, e.high, e.allowed)
                      : fmt::format("{:.3g}", e.allowed));
}

std::string Comparison::summary() const {
  return fmt::format("{}: {} of {} elements differ ({:.4g}%) under {} ({}); max |err| {:.3g} at {}, max rel {:.3g}, "
                     "max ulp {:g}",
                     passed() ? "equal" : "MISMATCH", mismatches, elements, mismatch_percent(), policy.str(),
                     to_string(precision), max_abs_error, where(max_abs_at), max_rel_error, max_ulp);
}

std::string Comparison::report() const {
  std::string text = summary();
  if (first_mismatch) text += "\n    first mismatch: " + describe(*first_mismatch);
  if (worst_mismatch && !(worst_mismatch->at == first_mismatch->at))
    text += "\n    worst mismatch: " + describe(*worst_mismatch);
  return text;
}

}  // namespace relpos
