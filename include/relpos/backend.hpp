#pragma once
// The one interface every implementation of Algorithm 3 sits behind.
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "relpos/arena.hpp"
#include "relpos/gradient.hpp"
#include "relpos/memory_shape.hpp"
#include "relpos/pair_output.hpp"
#include "relpos/policy.hpp"
#include "relpos/problem.hpp"

namespace relpos {

struct Availability {
  bool available = true;
  std::string detail;  ///< e.g. "built in", "compiled, no device", "not compiled"
};

/// Non-temporal stores: automatic = the backend's measured choice (cpu: regular stores, docs/benchmarks.md).
enum class Streaming { automatic, always, never };

struct BackendOptions {
  int threads = 0;                         ///< cpu: worker threads, 0 = all cores
  Streaming streaming = Streaming::automatic;  ///< cpu: store policy (always still needs aligned vectors)
  std::int64_t chunk_rows = 1 << 16;       ///< onehot: pair rows materialised per block
  void* cuda_stream = nullptr;             ///< cuda: a cudaStream_t, nullptr = default stream
};

/// How relpos bench treats a backend; it states this itself, nothing names it.
enum class BenchRole {
  lookup,                ///< a fast path: timed at every N, speed-ups reported against the references
  sequential_reference,  ///< the bitwise reference: run only up to --max-n-onehot (it grows as N^2 F c_z)
  blas_reference,        ///< the one-hot + BLAS original: run only up to --max-n-blas
};

struct BackendTraits {
  BenchRole role = BenchRole::lookup;
  bool threaded = true;         ///< honours BackendOptions::threads (else timed once, single-threaded)
  std::string instruction_set;  ///< the vector instructions it runs with here ("avx512bw"), if it has a choice
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  virtual Availability availability() const { return {true, "built in"}; }
  /// True when the backend adds the terms in the reference's order, so that
  /// `bitwise` is the right comparison; false for a reordered sum (BLAS).
  virtual bool exact_order() const { return true; }
  /// Whether run() can write into memory in this space.
  virtual bool accepts(MemorySpace space) const { return space == MemorySpace::host; }
  /// Where this backend's output naturally lives (benchmarks allocate there).
  virtual MemorySpace native_space() const { return MemorySpace::host; }
  virtual BackendTraits traits() const { return {}; }
  /// What it holds beyond the pair tensor at `shape` (relpos memory, relpos bench).
  virtual Workspace workspace(const MemoryShape& shape) const = 0;
  /// Memory and clocks in native_space() for timing. Host backends are timed
  /// in relpos bench's host arena and need not provide one (nullptr); a
  /// device backend throws RuntimeFailure when it cannot run here.
  virtual std::unique_ptr<Arena> make_arena() const { return nullptr; }
  /// The policy it is held to against the sequential reference in `precision`
  /// (bitwise in the reference's order, else bound:6 / rbound:6).
  Policy policy(Precision precision) const {
    return policy_for_backend(Policy::bitwise(), exact_order(), precision);
  }

  /// Validates problem and output (InputError), then computes into `out`.
  void run(const Problem& problem, const PairOutput& out) const;

  // ---- backward: the weight gradient (SPEC.md part 2), fp32 whatever the forward's regime ----

  virtual bool has_backward() const { return false; }
  /// True when each dW element's terms are added in the reference's row-major
  /// (b, i, j) order, so that `bitwise` is the right comparison; else anyorder.
  virtual bool backward_exact_order() const { return false; }
  Policy gradient_policy() const { return backward_exact_order() ? Policy::bitwise() : Policy::any_order(); }
  /// True when dW is bitwise the same for any thread count (a fixed reduction order).
  virtual bool backward_deterministic() const { return backward_exact_order(); }
  /// What backward() holds beyond G and dW at `shape` (relpos memory).
  virtual Workspace backward_workspace(const MemoryShape& shape) const;
  /// Validates (InputError: shapes, no backward here), then writes dW [c_z, F]
  /// = d sum(p * G) / dW for grad_output G [B, N, N, c_z], both in host memory.
  void backward(const Problem& problem, std::span<const float> grad_output, std::span<float> grad_weight) const;

 protected:
  virtual void compute(const Problem& problem, const PairOutput& out) const = 0;
  virtual void compute_backward(const Problem& problem, std::span<const float> grad_output,
                                std::span<float> grad_weight) const;
};

/// Anything that writes dW [c_z, F] for a Problem and G: Backend::backward, a user's kernel, a mutant.
using GradientWriter = std::function<void(const Problem&, std::span<const float> grad_output, std::span<float> grad_weight)>;

/// `backend.backward` as a GradientWriter (the backend must outlive it); empty when it has no backward.
GradientWriter backward_writer(const Backend& backend);

/// Allocates dW (starting as NaN, so an element never written never passes) and lets `write` fill it.
GradWeight compute_weight_gradient(const GradientWriter& write, const Problem& problem, std::span<const float> grad_output);
GradWeight compute_weight_gradient(const Backend& backend, const Problem& problem, std::span<const float> grad_output);

/// Anything that fills a host PairOutput for a Problem: Backend::run, a user's kernel, a mutant.
using OutputWriter = std::function<void(const Problem&, const PairOutput&)>;

/// Allocate an fp32 [B, N, N, c_z] result on the host and let `write` fill it.
/// The buffer starts as NaN, so an element the writer skips never passes for a value.
xt::xtensor<float, 4> compute_fp32(const OutputWriter& write, const Problem& problem);
xt::xtensor<float, 4> compute_fp32(const Backend& backend, const Problem& problem);
/// The same in bf16 mode, widened to float (the fixture representation); starts as bf16 NaN.
xt::xtensor<float, 4> compute_bf16_as_float(const OutputWriter& write, const Problem& problem);
xt::xtensor<float, 4> compute_bf16_as_float(const Backend& backend, const Problem& problem);
/// In the problem's precision regime, as a model stores it: fp32 written as
/// fp32, the bf16 regimes written as bf16 and widened (the fixture representation).
xt::xtensor<float, 4> compute_in_precision(const OutputWriter& write, const Problem& problem);

}  // namespace relpos
