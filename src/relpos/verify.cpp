#include "relpos/verify.hpp"

#include <chrono>

#include "relpos/errors.hpp"
#include "relpos/system.hpp"

namespace relpos {

xt::xtensor<float, 4> compute_in_precision(const Backend& backend, const Problem& problem, Precision precision) {
  return precision == Precision::bf16 ? compute_bf16_as_float(backend, problem) : compute_fp32(backend, problem);
}

VerifyResult verify_fixture(const Fixture& fixture, const Backend& backend, const std::optional<Policy>& override) {
  if (!fixture.expected) throw InputError("fixture has no /expected/output to verify against");
  const Problem problem = fixture.problem();
  VerifyResult result;
  result.backend = std::string(backend.name());
  result.policy = override ? *override : policy_for_backend(fixture.meta.policy, backend.exact_order());
  const auto start = std::chrono::steady_clock::now();
  const xt::xtensor<float, 4> got = compute_in_precision(backend, problem, fixture.meta.precision);
  result.seconds = seconds_since(start);
  result.comparison = compare_tensors(problem, *fixture.expected, got, fixture.meta.precision, result.policy);
  return result;
}

}  // namespace relpos
