#pragma once
// The shape of one call, as a memory model sees it, and the buffers live at a
// path's peak. Each backend states its own workspace for a shape
// (Backend::workspace); relpos memory and relpos bench add the output.
#include <cstdint>
#include <string>
#include <vector>

#include "relpos/config.hpp"
#include "relpos/pair_output.hpp"

namespace relpos {

struct MemoryShape {
  Config config;
  std::int64_t tokens = 0;
  std::int64_t batch = 1;
  std::int64_t chunk_rows = 1 << 16;  ///< our onehot's pair rows per block
  OutputMode mode = OutputMode::write_fp32;
  /// onehot-blas: OpenBLAS threads. With more than one, OpenBLAS's threaded
  /// driver packs a copy of the whole feature block (measured; capped per
  /// OpenBLAS build, ~116 MB at 2 threads with Debian's 0.3.21 on Zen, so the
  /// model is an upper bound for blocks beyond that).
  int threads = 1;

  std::int64_t pairs() const { return batch * tokens * tokens; }
  /// The pair tensor [B, N, N, c_z] in this mode (bf16: 2 bytes per element).
  std::uint64_t output_bytes() const {
    return static_cast<std::uint64_t>(pairs()) * static_cast<std::uint64_t>(config.c_z) *
           (mode == OutputMode::write_bf16 ? 2u : 4u);
  }
};

/// One live buffer at a path's peak.
struct LiveBuffer {
  std::string name;
  std::uint64_t bytes = 0;
};

/// What a backend holds beyond the pair tensor while it runs at a shape.
struct Workspace {
  std::string description;          ///< one line: what the path is
  std::vector<LiveBuffer> buffers;  ///< live at its peak, the output not included
  std::string note;
};

}  // namespace relpos
