#include "relpos/io/verify.hpp"

#include <chrono>

#include "relpos/errors.hpp"
#include "relpos/system.hpp"

namespace relpos {

xt::xtensor<float, 4> compute_in_precision(const Backend& backend, const Problem& problem) {
  return compute_in_precision([&](const Problem& p, const PairOutput& out) { backend.run(p, out); }, problem);
}

VerifyResult verify_fixture(const Fixture& fixture, const Backend& backend, const std::optional<Policy>& override) {
  if (!fixture.expected) throw InputError("fixture has no /expected/output to verify against");
  const Problem problem = fixture.problem();
  VerifyResult result;
  result.backend = std::string(backend.name());
  const Precision precision = fixture.meta.config.precision;
  result.policy = override ? *override : policy_for_backend(fixture.meta.policy, backend.exact_order(), precision);
  const auto start = std::chrono::steady_clock::now();
  const xt::xtensor<float, 4> got = compute_in_precision(backend, problem);
  result.seconds = seconds_since(start);
  result.comparison = compare_tensors(problem, *fixture.expected, got, precision, result.policy);
  return result;
}

}  // namespace relpos
