// Linked instead of the CUDA backend when the build has no CUDA compiler.
#include <fmt/format.h>

#include "relpos/backends/cuda_lookup.hpp"
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
  MemorySpace native_space() const override { return MemorySpace::device; }
  Workspace workspace(const MemoryShape& shape) const override { return cuda_lookup_workspace(shape); }
  std::unique_ptr<Arena> make_arena() const override {
    throw RuntimeFailure("cuda: this build of relpos has no CUDA backend (not compiled)");
  }

 protected:
  void compute(const Problem&, const PairOutput&) const override {
    throw RuntimeFailure("cuda: this build of relpos has no CUDA backend (not compiled)");
  }
};

}  // namespace

std::unique_ptr<Backend> make_cuda_lookup_backend(const BackendOptions&) { return std::make_unique<CudaNotCompiled>(); }

}  // namespace relpos
