#include "relpos/harness/gradient_laws.hpp"

#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <xtensor/xview.hpp>

#include "relpos/backends/registry.hpp"
#include "relpos/gradient.hpp"

namespace relpos::harness::detail {
namespace {

using Tensor = xt::xtensor<float, 4>;

std::span<const float> span_of(const Tensor& t) { return {t.data(), t.size()}; }

GradWeight reference_gradient(const Problem& problem, std::span<const float> g) {
  static const std::unique_ptr<Backend> reference = make_reference_backend();
  return compute_weight_gradient(*reference, problem, g);
}

GradWeight subject_gradient(const Implementation& impl, const Problem& problem, std::span<const float> g) {
  return compute_weight_gradient(impl.backward, problem, g);
}

std::string g_kind(const Tensor& g) {
  for (float v : g)
    if (v != std::nearbyint(v)) return "normal G";
  return "integer G";
}

Verdict judged(const Problem& problem, const GradientTerms& terms, const GradWeight& expected, const GradWeight& got,
               const Policy& policy, const std::string& context) {
  const GradientComparison comparison = compare_gradient(problem, terms, expected, got, policy);
  if (comparison.passed()) return {};
  return {false, fmt::format("{}\n  {}", context, comparison.report(problem.config))};
}

GradWeight plus(GradWeight a, const GradWeight& b) {
  for (std::size_t k = 0; k < a.size(); ++k) a.data()[k] += b.data()[k];
  return a;
}

// Whether an element alone computes the bins it has in the batch (Boltz's wrap looks at the whole batch).
bool elements_keep_their_bins(const Case& c) {
  if (c.config.cyclic != Cyclic::boltz) return true;
  for (std::int64_t b = 0; b < c.layout.batch(); ++b)
    if (c.layout.element(b).any_cyclic() != c.layout.any_cyclic()) return false;
  return true;
}

}  // namespace

std::string needs_backward(const Implementation& impl, const Scope&) {
  return impl.backward ? "" : "no backward (candidates: --backward; Python: backward=True)";
}

std::string needs_backward_options(const Implementation& impl, const Scope& scope) {
  if (std::string why = needs_backward(impl, scope); !why.empty()) return why;
  return impl.configure_backward ? "" : "no thread options to vary";
}

Verdict check_gradient(const Case& c, const Implementation& impl) {
  const Problem problem = c.problem();
  const Tensor g = grad_output_for(c);
  return judged(problem, gradient_terms(problem, span_of(g)), reference_gradient(problem, span_of(g)),
                subject_gradient(impl, problem, span_of(g)), gradient_policy_for(impl),
                fmt::format("grad: dW differs from the sequential reference ({})", g_kind(g)));
}

Verdict check_gradient_permutation(const Case& c, const Implementation& impl) {
  const Problem problem = c.problem();
  const Tensor g = grad_output_for(c);
  const Layout permuted = permute_tokens(c.layout, c.transform.permutation);
  const Tensor permuted_g = permute_pairs(g, c.transform.permutation);
  const Problem moved{c.config, permuted, c.weights};
  return judged(problem, gradient_terms(problem, span_of(g)), reference_gradient(problem, span_of(g)),
                subject_gradient(impl, moved, span_of(permuted_g)), Policy::any_order(),
                fmt::format("grad-permutation: permuting the tokens and G moved dW beyond the any-order bound ({})",
                            g_kind(g)));
}

Verdict check_gradient_additivity(const Case& c, const Implementation& impl) {
  const Problem problem = c.problem();
  const Tensor g = grad_output_for(c);
  const GradientTerms terms = gradient_terms(problem, span_of(g));
  const GradWeight expected = reference_gradient(problem, span_of(g));
  // Rows (b, i) before `split` in one part, the rest in the other.
  const std::int64_t rows = c.layout.batch() * c.layout.tokens();
  const std::int64_t split = rows == 0 ? 0 : c.transform.chunk_rows % rows;
  const std::size_t row_values = static_cast<std::size_t>(c.layout.tokens() * c.config.c_z);
  Tensor first = g, second = g;
  std::fill(first.begin() + static_cast<std::ptrdiff_t>(split * row_values), first.end(), 0.0f);
  std::fill(second.begin(), second.begin() + static_cast<std::ptrdiff_t>(split * row_values), 0.0f);
  const GradWeight chunks = plus(subject_gradient(impl, problem, span_of(first)),
                                 subject_gradient(impl, problem, span_of(second)));
  if (Verdict v = judged(problem, terms, expected, chunks, Policy::any_order(),
                         fmt::format("grad-additivity: dW of rows [0, {}) plus dW of rows [{}, {}) is not dW", split,
                                     split, rows));
      !v.passed)
    return v;
  if (c.layout.batch() < 2 || !elements_keep_their_bins(c)) return {};
  GradWeight elements;
  for (std::int64_t b = 0; b < c.layout.batch(); ++b) {
    const Layout element = c.layout.element(b);
    const Tensor slice = xt::view(g, xt::range(b, b + 1), xt::all(), xt::all(), xt::all());
    const GradWeight part = subject_gradient(impl, Problem{c.config, element, c.weights}, span_of(slice));
    elements = b == 0 ? part : plus(elements, part);
  }
  return judged(problem, terms, expected, elements, Policy::any_order(),
                fmt::format("grad-additivity: the {} batch elements' dW alone do not add up to the batch's dW",
                            c.layout.batch()));
}

Verdict check_gradient_column_sums(const Case& c, const Implementation& impl) {
  const Problem problem = c.problem();
  const Tensor g = grad_output_for(c);
  const GradWeight got = subject_gradient(impl, problem, span_of(g));
  const Config& config = c.config;
  const std::int64_t channels = config.c_z, pairs = c.layout.batch() * c.layout.tokens() * c.layout.tokens();
  const struct Block {
    const char* name;
    std::int64_t begin, end;
  } blocks[] = {{"residue", 0, config.token_offset()},
                {"token", config.token_offset(), config.entity_column()},
                {"chain", config.chain_offset(), config.feature_width()}};
  for (std::int64_t ch = 0; ch < channels; ++ch) {
    double total = 0, magnitude = 0;
    for (std::int64_t p = 0; p < pairs; ++p) {
      total += g.data()[p * channels + ch];
      magnitude += std::abs(static_cast<double>(g.data()[p * channels + ch]));
    }
    // Each pair lands in exactly one column per block: every column's error adds up to at most gamma(P) sum |G|.
    const double allowed = (any_order_gamma(pairs) + static_cast<double>(pairs + 4) * 0x1p-52) * magnitude;
    for (const Block& block : blocks) {
      double sum = 0;
      for (std::int64_t f = block.begin; f < block.end; ++f)
        sum += got(static_cast<std::size_t>(ch), static_cast<std::size_t>(f));
      if (std::abs(sum - total) <= allowed) continue;
      return {false, fmt::format("grad-column-sums: channel {}: the {} block's columns of dW add up to {:.9g}, but G "
                                 "over all {} pairs sums to {:.9g} (allowed {:.3g}): a pair's gradient was dropped, "
                                 "doubled or sent outside the block ({})",
                                 ch, block.name, sum, pairs, total, allowed, g_kind(g))};
    }
  }
  return {};
}

Verdict check_gradient_threads(const Case& c, const Implementation& impl) {
  const Problem problem = c.problem();
  const Tensor g = grad_output_for(c);
  const GradWeight one = compute_weight_gradient(impl.configure_backward({.threads = 1}), problem, span_of(g));
  const GradWeight many =
      compute_weight_gradient(impl.configure_backward({.threads = c.transform.threads}), problem, span_of(g));
  // A fixed reduction order must not change a bit; a threaded GEMM only stays within the bound.
  const Policy policy = impl.backward_deterministic ? Policy::bitwise() : Policy::any_order();
  const GradientComparison comparison = compare_gradient(problem, gradient_terms(problem, span_of(g)), one, many, policy);
  if (comparison.passed()) return {};
  return {false, fmt::format("grad-threads: {} threads changed dW of 1 thread\n  {}", c.transform.threads,
                             comparison.report(problem.config))};
}

}  // namespace relpos::harness::detail
