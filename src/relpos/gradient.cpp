#include "relpos/gradient.hpp"

#include <cmath>

#include <fmt/format.h>

#include "relpos/compare.hpp"
#include "relpos/errors.hpp"

namespace relpos {
namespace {

// Calls visit(pair index, hot columns) for every pair in row-major (b, i, j) order.
template <class Visit>
void for_each_pair(const Problem& problem, Visit&& visit) {
  const BinParams params = problem.bins();
  const std::int64_t n = problem.layout.tokens();
  std::int64_t pair = 0;
  for (std::int64_t b = 0; b < problem.layout.batch(); ++b)
    for (std::int64_t i = 0; i < n; ++i) {
      const TokenIds row = problem.layout.token(b, i);
      for (std::int64_t j = 0; j < n; ++j, ++pair)
        visit(pair, hot_columns(params, pair_bins(params, row, problem.layout.token(b, j))));
    }
}

bool identical(float a, float b, bool nan_equal) { return a == b || (nan_equal && std::isnan(a) && std::isnan(b)); }

}  // namespace

void validate_grad_output(const Problem& problem, std::span<const float> grad_output) {
  const auto shape = problem.output_shape();
  const std::size_t needed = shape[0] * shape[1] * shape[2] * shape[3];
  if (grad_output.size() != needed)
    throw InputError(fmt::format("grad_output holds {} values; the output [{}, {}, {}, {}] needs {}", grad_output.size(),
                                 shape[0], shape[1], shape[2], shape[3], needed));
}

GradientTerms gradient_terms(const Problem& problem, std::span<const float> grad_output) {
  validate_grad_output(problem, grad_output);
  const auto channels = static_cast<std::size_t>(problem.config.c_z);
  const auto width = static_cast<std::size_t>(problem.config.feature_width());
  GradientTerms terms{xt::zeros<double>({channels, width}), xt::zeros<double>({channels, width}),
                      std::vector<std::int64_t>(width, 0)};
  for_each_pair(problem, [&](std::int64_t pair, const HotColumns& hot) {
    const float* g = grad_output.data() + pair * problem.config.c_z;
    for (std::int32_t f : {hot.residue, hot.token, hot.entity, hot.chain}) {
      if (f < 0) continue;
      ++terms.count[static_cast<std::size_t>(f)];
      for (std::size_t c = 0; c < channels; ++c) {
        terms.exact(c, static_cast<std::size_t>(f)) += g[c];
        terms.magnitude(c, static_cast<std::size_t>(f)) += std::abs(static_cast<double>(g[c]));
      }
    }
  });
  return terms;
}

void sequential_weight_gradient(const Problem& problem, std::span<const float> grad_output, std::span<float> grad_weight) {
  validate_grad_output(problem, grad_output);
  const std::int64_t channels = problem.config.c_z, width = problem.config.feature_width();
  std::fill(grad_weight.begin(), grad_weight.end(), 0.0f);
  for_each_pair(problem, [&](std::int64_t pair, const HotColumns& hot) {
    const float* g = grad_output.data() + pair * channels;
    for (std::int32_t f : {hot.residue, hot.token, hot.entity, hot.chain}) {
      if (f < 0) continue;
      for (std::int64_t c = 0; c < channels; ++c) grad_weight[static_cast<std::size_t>(c * width + f)] += g[c];
    }
  });
}

std::string describe_column(const Config& config, std::int64_t f) {
  if (f < config.token_offset()) return fmt::format("residue bin {}", f);
  if (f < config.entity_column()) return fmt::format("token bin {}", f - config.token_offset());
  if (f == config.entity_column()) return "entity";
  return fmt::format("chain bin {}", f - config.chain_offset());
}

std::string GradientComparison::report(const Config& config) const {
  std::string text = fmt::format("{}: {} of {} dW elements differ under {}; max |err| {:.3g}",
                                 passed() ? "MATCH" : "MISMATCH", mismatches, elements, policy.str(), max_abs_error);
  const auto element = [&](std::string_view label, const GradientMismatch& m) {
    return fmt::format("\n    {} dW[c={}, f={}] ({}): expected {:.9g}, got {:.9g}, exact sum {:.9g} of {} term{} "
                       "(sum |terms| {:.3g}), |got - {}| {:.3g}, allowed {:.3g}",
                       label, m.c, m.f, describe_column(config, m.f), m.expected, m.got, m.exact, m.terms,
                       m.terms == 1 ? "" : "s", m.magnitude, policy.kind == Policy::Kind::any_order ? "S" : "expected",
                       policy.kind == Policy::Kind::any_order ? std::abs(m.got - m.exact)
                                                              : std::abs(double{m.got} - double{m.expected}),
                       m.allowed);
  };
  if (first_mismatch) text += element("first mismatch:", *first_mismatch);
  if (worst_mismatch && !(worst_mismatch->c == first_mismatch->c && worst_mismatch->f == first_mismatch->f))
    text += element("worst mismatch:", *worst_mismatch);
  return text;
}

GradientComparison compare_gradient(const Problem& problem, const GradientTerms& terms, const GradWeight& expected,
                                    const GradWeight& got, const Policy& policy) {
  const auto channels = static_cast<std::size_t>(problem.config.c_z);
  const auto width = static_cast<std::size_t>(problem.config.feature_width());
  for (const GradWeight* w : {&expected, &got})
    if (w->shape(0) != channels || w->shape(1) != width)
      throw InputError(fmt::format("a weight gradient is [{}, {}]; the problem's W is [{}, {}]", w->shape(0),
                                   w->shape(1), channels, width));
  GradientComparison result{policy};
  result.elements = static_cast<std::int64_t>(channels * width);
  double worst_ratio = -1;
  for (std::size_t c = 0; c < channels; ++c)
    for (std::size_t f = 0; f < width; ++f) {
      const float e = expected(c, f), g = got(c, f);
      const double error = std::abs(double{g} - double{e});
      if (std::isfinite(error)) result.max_abs_error = std::max(result.max_abs_error, error);
      GradientMismatch m{static_cast<std::int64_t>(c), static_cast<std::int64_t>(f), e, g, terms.exact(c, f),
                         terms.magnitude(c, f), terms.count[f], 0};
      bool ok = false;
      switch (policy.kind) {
        case Policy::Kind::bitwise: ok = identical(e, g, policy.nan_equal); break;
        case Policy::Kind::any_order:
          // The exact sum's own error in double (n 2^-53 sum |terms|) is added so a faithful sum never fails on it.
          // Past 2^24 terms gamma is infinite: the bound says nothing, except that a sum of zeros is zero.
          m.allowed = m.magnitude == 0 ? 0.0
                                       : (any_order_gamma(m.terms - 1) + static_cast<double>(m.terms) * 0x1p-53) *
                                             m.magnitude;
          // Both sides are held to it: a tampered or wrong expected value fails too.
          ok = std::isfinite(g) && std::abs(double{g} - m.exact) <= m.allowed && std::isfinite(e) &&
               std::abs(double{e} - m.exact) <= m.allowed;
          break;
        case Policy::Kind::bound:
        case Policy::Kind::rounded_bound:
          m.allowed = policy.k * 0x1p-24 * m.magnitude;
          ok = std::isfinite(g) && error <= m.allowed;
          break;
        case Policy::Kind::ulp:
          m.allowed = policy.k;
          ok = ulp_distance(e, g, Precision::fp32) <= policy.k;
          break;
        case Policy::Kind::allclose:
          m.allowed = policy.effective_atol(Precision::fp32) + policy.effective_rtol(Precision::fp32) * std::abs(double{e});
          ok = std::isfinite(e) && std::isfinite(g) ? error <= m.allowed : identical(e, g, policy.nan_equal);
          break;
      }
      if (ok) continue;
      ++result.mismatches;
      if (!result.first_mismatch) result.first_mismatch = m;
      const double off = policy.kind == Policy::Kind::any_order
                             ? std::max(std::abs(double{g} - m.exact), std::abs(double{e} - m.exact))
                             : error;
      const double ratio = m.allowed > 0 ? off / m.allowed : std::isnan(off) ? 1e300 : off;
      if (ratio > worst_ratio) worst_ratio = ratio, result.worst_mismatch = m;
    }
  return result;
}

}  // namespace relpos
