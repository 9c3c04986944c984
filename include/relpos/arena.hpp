#pragma once
// Memory and clocks for benchmarking a backend where its output lives, and
// the physical limits measured on the same buffer in the same run. A backend
// whose output lives outside host memory provides its own
// (Backend::make_arena); the host arena is relpos bench's
// (include/relpos/bench/host_arena.hpp).
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "relpos/pair_output.hpp"

namespace relpos {

class Arena {
 public:
  virtual ~Arena() = default;
  virtual MemorySpace space() const = 0;
  virtual std::string describe() const = 0;  ///< e.g. "host, 2 threads" or "NVIDIA H200 (132 SMs)"

  /// Allocates `bytes` in this space (untouched: the caller times first touch separately).
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void release(void* data) = 0;
  /// Touches every page of [data, data + bytes) so later timings exclude page faults.
  virtual void prefault(void* data, std::size_t bytes) = 0;
  /// Writes `value` as float into `count` floats (also to set up accumulate inputs).
  virtual void fill(float* data, std::size_t count, float value) = 0;
  /// Copies `bytes` from this space to host memory (for checking results).
  virtual void copy_to_host(void* host, const void* data, std::size_t bytes) = 0;

  /// Seconds one call of `work` takes, measured with this space's clock
  /// (steady_clock on the host, CUDA events on the device; work is synchronised).
  virtual double time(const std::function<void()>& work) = 0;
  /// The write limit: seconds to memset / cudaMemset `bytes` at `data`.
  virtual double time_write_limit(void* data, std::size_t bytes) = 0;
  /// The read-modify-write limit: seconds for a plain `z[k] += 1.0f` over `count` floats.
  virtual double time_read_modify_write_limit(float* data, std::size_t count) = 0;
};

}  // namespace relpos
