#pragma once
// The one interface every implementation of Algorithm 3 sits behind.
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "relpos/pair_output.hpp"
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

  /// Validates problem and output (InputError), then computes into `out`.
  void run(const Problem& problem, const PairOutput& out) const;

 protected:
  virtual void compute(const Problem& problem, const PairOutput& out) const = 0;
};

/// Every backend this project knows, in display order: onehot, onehot-blas, cpu, cuda.
std::span<const std::string_view> backend_names();

/// Throws InputError for an unknown name. A known backend that cannot run here
/// (cuda without a device) is still returned: ask availability().
std::unique_ptr<Backend> make_backend(std::string_view name, const BackendOptions& options = {});

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
