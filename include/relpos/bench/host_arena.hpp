#pragma once
// The host side of the benchmark arena: page-aligned memory backed by huge
// pages where the kernel allows, touched, filled and timed by the same threads
// over the same static row partition as the CPU lookup, so that first touch
// (and with it NUMA placement) and the limits match the measured path.
#include <cstddef>
#include <map>

#include <memory>

#include "relpos/arena.hpp"

namespace relpos::bench {

/// [begin, end) byte range of worker `w` of `workers` when `bytes` are split
/// into whole `unit`-byte rows exactly as the CPU lookup splits its rows
/// (rows * w / workers); the last worker also takes any tail shorter than a row.
struct ByteRange {
  std::size_t begin = 0;
  std::size_t end = 0;
};
ByteRange partition_range(std::size_t bytes, std::size_t unit, std::size_t workers, std::size_t w);

/// Workers the partition uses for `threads` (0 = all cores), never more than rows.
std::size_t partition_workers(int threads, std::size_t bytes, std::size_t unit);

class HostArena final : public Arena {
 public:
  explicit HostArena(int threads = 0);
  ~HostArena() override;
  HostArena(const HostArena&) = delete;
  HostArena& operator=(const HostArena&) = delete;

  MemorySpace space() const override { return MemorySpace::host; }
  std::string describe() const override;

  void* allocate(std::size_t bytes) override;
  void release(void* data) override;
  void prefault(void* data, std::size_t bytes) override;
  void fill(float* data, std::size_t count, float value) override;
  void copy_to_host(void* host, const void* data, std::size_t bytes) override;

  double time(const std::function<void()>& work) override;
  /// glibc memset of each worker's part, all workers at once.
  double time_write_limit(void* data, std::size_t bytes) override;
  /// `z[k] += 1.0f` over each worker's part, vectorised by the compiler for the best ISA here.
  double time_read_modify_write_limit(float* data, std::size_t count) override;
  /// A second write reference, host only: a plain loop of vector stores of a
  /// non-zero value over each worker's part (what the CPU's store units reach
  /// without memset's `rep stosb`, which can be faster or slower than them).
  double time_store_loop(void* data, std::size_t bytes);
  /// The read limit: seconds to read `count` floats once (a vectorised sum per thread's part).
  double time_read_limit(const float* data, std::size_t count);

  /// Threads every multi-threaded operation uses (0 = all cores); set it to the measured path's count.
  void set_threads(int threads) { threads_ = threads; }
  int threads() const { return threads_; }
  /// Bytes of one output row (N * c_z * element size): the partition unit the CPU lookup uses.
  void set_partition_unit(std::size_t bytes) { unit_ = bytes > 0 ? bytes : 1; }
  std::size_t partition_unit() const { return unit_; }

 private:
  // A float loop needs whole floats per part.
  std::size_t float_unit() const { return unit_ % sizeof(float) == 0 ? unit_ : sizeof(float); }
  struct Mapping {
    void* base = nullptr;
    std::size_t length = 0;
  };
  int threads_;
  std::size_t unit_ = 4096;
  std::map<void*, Mapping> mappings_;
};

/// Runs `part(begin, end)` for every worker's range, worker 0 on the calling thread.
void for_each_part(void* data, std::size_t bytes, std::size_t unit, int threads,
                   const std::function<void(std::byte* begin, std::byte* end)>& part);

/// The arena for `space`: the host arena (`threads` its baseline thread
/// count, 0 = all cores), or the arena of the first available registered
/// backend whose output lives in `space`; RuntimeFailure naming why when none is.
std::unique_ptr<Arena> make_arena(MemorySpace space, int threads = 0);

}  // namespace relpos::bench
