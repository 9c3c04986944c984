// Linked instead of the CUDA backend and device arena when the build has no CUDA compiler.
#include <fmt/format.h>

#include "relpos/backends/cuda_lookup.hpp"
#include "relpos/bench/arena.hpp"
#include "relpos/errors.hpp"

namespace relpos {
namespace {

class CudaNotCompiled final : public Backend {
 public:
  std::string_view name() const override { return "cuda"; }
  Availability availability() const override {
    return {false, "not compiled (configure with nvcc on PATH or RELPOS_CUDA=ON)"};
  }
  bool accepts(MemorySpace) const override { return true; }

 protected:
  void compute(const Problem&, const PairOutput&) const override {
    throw RuntimeFailure("cuda: this build of relpos has no CUDA backend (not compiled)");
  }
};

}  // namespace

std::unique_ptr<Backend> make_cuda_lookup_backend(const BackendOptions&) { return std::make_unique<CudaNotCompiled>(); }

}  // namespace relpos

namespace relpos::bench {

std::unique_ptr<Arena> make_device_arena() {
  throw RuntimeFailure("cuda: device benchmark arena not available: this build of relpos has no CUDA backend (not compiled)");
}

}  // namespace relpos::bench
