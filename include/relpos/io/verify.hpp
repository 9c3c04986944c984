#pragma once
// Recompute a fixture with a backend and compare it with the stored output.
#include <optional>
#include <string>

#include "relpos/backend.hpp"
#include "relpos/compare.hpp"
#include "relpos/io/fixture.hpp"

namespace relpos {

struct VerifyResult {
  std::string backend;
  Policy policy;  ///< the policy actually applied
  Comparison comparison;
  double seconds = 0;  ///< time of the backend's run alone
  /// The weight gradient against /expected/grad_weight under anyorder, when
  /// the fixture holds one and the implementation has a backward.
  std::optional<GradientComparison> gradient;
  std::string gradient_error;  ///< the backward threw (the forward's verdict stands): why
  double gradient_seconds = 0;
  bool passed() const { return comparison.passed() && (!gradient || gradient->passed()) && gradient_error.empty(); }
};

/// The output of `backend` in the problem's precision regime, as [B, N, N, c_z]
/// float (the fixture representation): fp32 written as fp32, the bf16 regimes
/// written as bf16 (what models produce) and widened.
xt::xtensor<float, 4> compute_in_precision(const Backend& backend, const Problem& problem);

/// Compares `backend` with the fixture's expected output under `override`, or
/// else the fixture's policy as this backend is held to it (policy_for_backend).
VerifyResult verify_fixture(const Fixture& fixture, const Backend& backend,
                            const std::optional<Policy>& override = std::nullopt);

/// The same for any writer (a user's kernel, an external candidate): `name`
/// for the report, `exact_order` decides the policy it is held to; with a
/// `backward` and a fixture holding G, the weight gradient too (anyorder: the
/// stored dW may come from any summation order, autograd's GEMM included).
VerifyResult verify_fixture(const Fixture& fixture, std::string name, const OutputWriter& write, bool exact_order,
                            const std::optional<Policy>& override = std::nullopt, const GradientWriter& backward = {});

}  // namespace relpos
