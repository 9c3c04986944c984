#include "relpos/io/verify.hpp"

#include <chrono>
#include <new>

#include "relpos/errors.hpp"
#include "relpos/system.hpp"

namespace relpos {

xt::xtensor<float, 4> compute_in_precision(const Backend& backend, const Problem& problem) {
  return compute_in_precision([&](const Problem& p, const PairOutput& out) { backend.run(p, out); }, problem);
}

VerifyResult verify_fixture(const Fixture& fixture, std::string name, const OutputWriter& write, bool exact_order,
                            const std::optional<Policy>& override, const GradientWriter& backward) {
  if (!fixture.expected) throw InputError("fixture has no /expected/output to verify against");
  const Problem problem = fixture.problem();
  VerifyResult result;
  result.backend = std::move(name);
  const Precision precision = fixture.meta.config.precision;
  result.policy = override ? *override : policy_for_backend(fixture.meta.policy, exact_order, precision);
  const auto start = std::chrono::steady_clock::now();
  const xt::xtensor<float, 4> got = compute_in_precision(write, problem);
  result.seconds = seconds_since(start);
  result.comparison = compare_tensors(problem, *fixture.expected, got, precision, result.policy);
  if (backward && fixture.grad_output && fixture.grad_weight) {
    const std::span<const float> g{fixture.grad_output->data(), fixture.grad_output->size()};
    const auto gradient_start = std::chrono::steady_clock::now();
    try {
      const GradWeight dw = compute_weight_gradient(backward, problem, g);
      result.gradient_seconds = seconds_since(gradient_start);
      result.gradient =
          compare_gradient(problem, gradient_terms(problem, g), *fixture.grad_weight, dw, Policy::any_order());
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      // A backward that cannot answer fails this fixture's gradient, as a wrong dW would; the forward's verdict stands.
      result.gradient_error = e.what();
    }
  }
  return result;
}

VerifyResult verify_fixture(const Fixture& fixture, const Backend& backend, const std::optional<Policy>& override) {
  return verify_fixture(
      fixture, std::string(backend.name()), [&](const Problem& p, const PairOutput& out) { backend.run(p, out); },
      backend.exact_order(), override, backward_writer(backend));
}

}  // namespace relpos
