// The benchmark arena for device memory: cudaMalloc'd buffers, CUDA-event
// clocks, and the limits a kernel with nothing to compute reaches on the same
// buffer in the same run.
#include <algorithm>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "relpos/arena.hpp"
#include "relpos/cuda/device_arena.hpp"
#include "relpos/cuda/arena_kernels.hpp"
#include "relpos/cuda/runtime.hpp"
#include "relpos/errors.hpp"

namespace relpos::cuda {
namespace {

class DeviceArena final : public Arena {
 public:
  DeviceArena() {
    cuda::require_device();
    device_ = cuda::probe_device().detail;
    int device = 0;
    check(cudaGetDevice(&device), "cudaGetDevice");
    check(cudaDeviceGetAttribute(&l2_bytes_, cudaDevAttrL2CacheSize, device), "cudaDeviceGetAttribute(L2 size)");
    check(cudaEventCreate(&start_), "cudaEventCreate");
    check(cudaEventCreate(&stop_), "cudaEventCreate");
    // Kernels load lazily on first launch: load ours now, outside any timing.
    void* scratch = allocate(256);
    check(cuda::detail::launch_fill_words(static_cast<std::uint32_t*>(scratch), 64, 0u, true, nullptr), "warm-up");
    check(cuda::detail::launch_add_one(static_cast<float*>(scratch), 64, false, nullptr), "warm-up");
    check(cudaDeviceSynchronize(), "warm-up kernels");
    release(scratch);
  }
  ~DeviceArena() override {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }

  MemorySpace space() const override { return MemorySpace::device; }

  std::string describe() const override {
    std::string text = fmt::format("{}, {} L2", device_, byte_size(static_cast<std::size_t>(l2_bytes_)));
    text += "; write limit = the faster of cudaMemsetAsync and a 16-byte streaming-store kernel";
    if (memset_seconds_ && store_kernel_seconds_)
      text += fmt::format(" (last: cudaMemsetAsync {:.3f} ms, store kernel {:.3f} ms)", *memset_seconds_ * 1e3,
                          *store_kernel_seconds_ * 1e3);
    text += "; read-modify-write limit = the faster of a float4 z += 1 kernel with plain and with streaming accesses";
    if (rmw_plain_seconds_ && rmw_streaming_seconds_)
      text += fmt::format(" (last: plain {:.3f} ms, streaming {:.3f} ms)", *rmw_plain_seconds_ * 1e3,
                          *rmw_streaming_seconds_ * 1e3);
    return text;
  }

  void* allocate(std::size_t bytes) override {
    void* data = nullptr;
    check(cudaMalloc(&data, std::max<std::size_t>(bytes, 1)), fmt::format("cudaMalloc({} benchmark buffer)", byte_size(bytes)));
    return data;
  }
  void release(void* data) override { check(cudaFree(data), "cudaFree(benchmark buffer)"); }

  void prefault(void* data, std::size_t bytes) override {
    check(cudaMemset(data, 0, bytes), fmt::format("cudaMemset({} prefault)", byte_size(bytes)));
    check(cudaDeviceSynchronize(), "cudaDeviceSynchronize(after prefault)");
  }

  void fill(float* data, std::size_t count, float value) override {
    std::uint32_t pattern = 0;
    static_assert(sizeof(pattern) == sizeof(value));
    std::memcpy(&pattern, &value, sizeof(value));
    check(cuda::detail::launch_fill_words(reinterpret_cast<std::uint32_t*>(data), count, pattern, false, nullptr),
          "fill kernel launch");
    check(cudaDeviceSynchronize(), fmt::format("fill kernel ({})", byte_size(count * sizeof(float))));
  }

  void copy_to_host(void* host, const void* data, std::size_t bytes) override {
    check(cudaMemcpy(host, data, bytes, cudaMemcpyDeviceToHost), fmt::format("cudaMemcpy({} to host)", byte_size(bytes)));
  }

  // Events on the legacy default stream: they order with any blocking stream
  // the work uses (the cuda backend's default is this stream).
  double time(const std::function<void()>& work) override {
    check(cudaDeviceSynchronize(), "cudaDeviceSynchronize(before timing)");
    check(cudaEventRecord(start_, nullptr), "cudaEventRecord(start)");
    work();
    check(cudaEventRecord(stop_, nullptr), "cudaEventRecord(stop)");
    check(cudaEventSynchronize(stop_), "timed work");
    check(cudaGetLastError(), "timed work");
    float milliseconds = 0;
    check(cudaEventElapsedTime(&milliseconds, start_, stop_), "cudaEventElapsedTime");
    return milliseconds * 1e-3;
  }

  double time_write_limit(void* data, std::size_t bytes) override {
    memset_seconds_ = time([&] {
      check(cudaMemsetAsync(data, 0, bytes, nullptr), fmt::format("cudaMemsetAsync({})", byte_size(bytes)));
    });
    // Whole 4-byte words only: at most 3 bytes fewer than `bytes`.
    store_kernel_seconds_ = time([&] {
      check(cuda::detail::launch_fill_words(static_cast<std::uint32_t*>(data), bytes / 4, 0u, true, nullptr),
            "store kernel launch");
    });
    return std::min(*memset_seconds_, *store_kernel_seconds_);
  }

  double time_read_modify_write_limit(float* data, std::size_t count) override {
    rmw_plain_seconds_ = time([&] {
      check(cuda::detail::launch_add_one(data, count, false, nullptr), "read-modify-write kernel launch");
    });
    rmw_streaming_seconds_ = time([&] {
      check(cuda::detail::launch_add_one(data, count, true, nullptr), "read-modify-write kernel launch");
    });
    return std::min(*rmw_plain_seconds_, *rmw_streaming_seconds_);
  }

 private:
  std::string device_;
  int l2_bytes_ = 0;
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
  std::optional<double> memset_seconds_;
  std::optional<double> store_kernel_seconds_;
  std::optional<double> rmw_plain_seconds_;
  std::optional<double> rmw_streaming_seconds_;
};

}  // namespace

std::unique_ptr<Arena> make_device_arena() { return std::make_unique<DeviceArena>(); }

}  // namespace relpos::cuda
