#pragma once
// How much memory each way of computing Algorithm 3 holds at its peak
// (SPEC.md "Memory of each path"): the PyTorch paths AF3-family models ship,
// and this project's backends. Bytes are exact products of the shapes; what
// a framework's allocator rounds or caches on top is not modelled.
#include <cstdint>
#include <string>
#include <vector>

#include "relpos/memory_shape.hpp"

namespace relpos::bench {

struct PathMemory {
  std::string path;         ///< "pytorch-original", ..., or a backend name ("onehot", "cpu", ...)
  std::string description;  ///< one line: what the path is
  /// New memory the path needs at its peak, pair tensor included when the
  /// path writes a new one; when accumulating, the existing z is not counted.
  std::uint64_t peak_bytes = 0;
  /// peak_bytes minus the pair tensor the path produces (write modes); equal
  /// to peak_bytes when accumulating into an existing z.
  std::uint64_t extra_bytes = 0;
  std::vector<LiveBuffer> live_at_peak;  ///< what is live at the peak (sums to peak_bytes)
  std::string note;
};

/// The PyTorch paths, in SPEC order: "pytorch-original" (int64 one-hots,
/// their concatenation, the fp32 features, the output), "pxdesign-chunked"
/// (PXDesign/Protenix eval: 8 row chunks when N >= 3200), "protenix-precomputed"
/// (fp32 features kept, z += linear(x)), "pytorch-lookup-pr" (the PR's
/// gather-and-add lookup: three live [N, N, c_z] tensors). All in fp32 (the
/// mode only chooses write or accumulate), inference (no autograd).
std::vector<PathMemory> pytorch_memory_model(const MemoryShape& shape);

/// A registered backend at `shape`: the output (write modes) plus the
/// workspace it states (Backend::workspace).
PathMemory backend_memory_model(const std::string& name, const MemoryShape& shape);

/// Every path: the PyTorch ones, then every registered backend whose output
/// lives in host memory, in registration order.
std::vector<PathMemory> memory_model(const MemoryShape& shape);

/// "5.0 GB", "71.2 kB", "512 B": decimal units as SPEC.md quotes them.
std::string format_bytes(std::uint64_t bytes);

}  // namespace relpos::bench
