#pragma once
// "Any implementation": what the property suite runs. The same signature as
// relpos::Backend::run — fill a PairOutput (host memory) for a Problem — so a
// backend, a lambda around a user's kernel, a mutant or an external process
// all plug in the same way.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"

namespace relpos::harness {

using RunFunction = OutputWriter;

/// Which OutputModes the implementation supports; properties of the others are skipped.
struct OutputModes {
  bool write_fp32 = true;
  bool write_bf16 = true;
  bool accumulate = true;
};

struct Implementation {
  std::string name;
  RunFunction run;
  /// True when the four terms are added in the reference's order (held to
  /// `bitwise`); false for a reordered sum such as a GEMM (held to `bound:6`).
  bool exact_order = true;
  OutputModes modes;
  /// The same implementation with other options: enables the chunk-size and
  /// thread-count properties. Empty for implementations without such knobs.
  std::function<RunFunction(const BackendOptions&)> configure;
  /// Non-empty when it cannot run here, saying why (e.g. "cuda: compiled, no device").
  std::string unavailable;

  /// The weight gradient (Backend::backward's signature); empty: no backward,
  /// and the gradient properties are skipped.
  GradientWriter backward;
  /// True when each dW element's terms are added in the reference's row-major
  /// order (held to bitwise); false: held to the any-order bound (anyorder).
  bool backward_exact_order = false;
  /// True when dW is bitwise the same for any thread count (grad-threads holds
  /// it to bitwise; otherwise to the any-order bound, as a threaded GEMM).
  bool backward_deterministic = false;
  /// The backward with other options (the gradient thread-count property).
  std::function<GradientWriter(const BackendOptions&)> configure_backward;
};

// For implementations that answer with a whole tensor (an external candidate,
// a Python function): which regime a write asks for, and how the answer is stored.

/// The problem's config in the regime `mode` asks for: a bf16 write of the
/// fp32 regime is the bf16 regime; every other write keeps the problem's.
Config regime_of_write(const Problem& problem, OutputMode mode);
/// `values` [B, N, N, c_z] (bf16 values widened to float in the bf16 regimes)
/// stored as `out` stores them: copied, rounded to bf16 bits, or added.
/// Throws InputError when the sizes differ.
void store_values(std::span<const float> values, const PairOutput& out);

/// The policy the gradient properties hold `impl` to: bitwise or anyorder.
Policy gradient_policy_for(const Implementation& impl);

/// A callable `void(const Problem&, const PairOutput&)` (add a backward by
/// setting Implementation::backward).
Implementation implementation(std::string name, RunFunction run, bool exact_order = true);

/// A backend the caller keeps alive (no chunk/thread variants: options unknown).
Implementation implementation(const Backend& backend);

/// relpos::make_backend(name, options), with chunk/thread variants and its
/// availability; throws InputError for an unknown name.
Implementation backend_implementation(std::string_view name, const BackendOptions& options = {});

}  // namespace relpos::harness
