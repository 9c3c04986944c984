#include "relpos/compare.hpp"

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
  return fmt::format("asym={} residue={} entity={} sym={} token={}", t.asym_id, t.residue_index, t.entity_id, t.sym_id,
                     t.token_index);
}

std::string where(const ElementIndex& at) { return fmt::format("(b={}, i={}, j={}, c={})", at.b, at.i, at.j, at.c); }

}  // namespace

double ulp_distance(float a, float b, Precision precision) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b) ? 0.0 : std::numeric_limits<double>::infinity();
  const double distance = std::abs(static_cast<double>(ordered(a) - ordered(b)));
  return precision == Precision::bf16 ? distance / 65536.0 : distance;
}

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
  const double u = unit_roundoff(precision);
  const double rtol = policy.effective_rtol(precision);
  const double atol = policy.effective_atol(precision);
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
          if (abs_error > result.max_abs_error || (std::isnan(abs_error) && !std::isnan(result.max_abs_error))) {
            result.max_abs_error = abs_error;
            result.max_abs_at = at;
          }
          if (rel_error > result.max_rel_error) {
            result.max_rel_error = rel_error;
            result.max_rel_at = at;
          }
          if (ulp > result.max_ulp) {
            result.max_ulp = ulp;
            result.max_ulp_at = at;
          }
          if (same) continue;

          double allowed = 0;
          bool ok = false;
          const bool has_nan = std::isnan(e) || std::isnan(g);
          switch (policy.kind) {
            case Policy::Kind::bitwise: ok = false; break;
            case Policy::Kind::bound: {
              double magnitude = std::abs(double{w(c, hot.residue)}) + std::abs(double{w(c, hot.token)}) +
                                 std::abs(double{w(c, hot.chain)});
              if (hot.entity >= 0) magnitude += std::abs(double{w(c, hot.entity)});
              allowed = policy.k * u * magnitude;
              ok = !has_nan && abs_error <= allowed;
              break;
            }
            case Policy::Kind::ulp:
              allowed = policy.k;
              ok = !has_nan && ulp <= policy.k;
              break;
            case Policy::Kind::allclose:
              allowed = atol + rtol * std::abs(static_cast<double>(e));
              ok = !has_nan && abs_error <= allowed;
              break;
          }
          if (ok) continue;
          ++result.mismatches;
          const double measure = policy.kind == Policy::Kind::ulp ? ulp : abs_error;
          const double excess = has_nan ? std::numeric_limits<double>::infinity()
                                        : (allowed > 0 ? measure / allowed : measure + 1.0);
          if (!result.first_mismatch || excess > worst_excess) {
            ElementReport report{at, row, col, bins, e, g, abs_error, rel_error, ulp, allowed};
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

std::string describe(const ElementReport& e) {
  return fmt::format(
      "pair (i={}, j={}) of batch element {} at channel {}\n"
      "      row token: {}\n"
      "      col token: {}\n"
      "      bins: d_res={} d_tok={} same_entity={} d_chain={} ({})\n"
      "      expected {:.9g} (0x{:08x}), got {:.9g} (0x{:08x}), |err| {:.3g}, rel {:.3g}, ulp {:g}, allowed {:.3g}",
      e.at.i, e.at.j, e.at.b, e.at.c, ids(e.row), ids(e.col), e.bins.d_res, e.bins.d_tok, int(e.bins.same_entity),
      e.bins.d_chain, e.bins.same_chain ? "same chain" : "different chains", e.expected,
      std::bit_cast<std::uint32_t>(e.expected), e.got, std::bit_cast<std::uint32_t>(e.got), e.abs_error, e.rel_error,
      e.ulp, e.allowed);
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
