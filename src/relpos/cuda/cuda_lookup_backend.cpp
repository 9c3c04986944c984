// The `cuda` backend: relpos::cuda's device API behind the Backend interface.
// Device outputs are written on options.cuda_stream without synchronising
// (stream order, like any CUDA library); host outputs are a convenience that
// copies through a device buffer and returns when the result is on the host.
#include <algorithm>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "relpos/backends/cuda_lookup.hpp"
#include "relpos/cuda/device_arena.hpp"
#include "relpos/cuda/gradient.hpp"
#include "relpos/cuda/lookup.hpp"
#include "relpos/cuda/runtime.hpp"
#include "relpos/errors.hpp"

namespace relpos {
namespace {

using cuda::byte_size;
using cuda::check;

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t bytes, std::string_view what) {
    check(cudaMalloc(&data_, bytes), fmt::format("cudaMalloc({} {})", byte_size(bytes), what));
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    return *this;
  }
  ~DeviceBuffer() {
    if (data_ != nullptr) cudaFree(data_);
  }
  void* get() const { return data_; }

 private:
  void* data_ = nullptr;
};

/// The problem's ids and W^T on the device, kept while the next call's inputs
/// are byte-identical (a benchmark or a training loop calling run() again).
struct UploadedInputs {
  int device = -1;
  Config config;
  std::int64_t batch = -1;
  std::int64_t tokens = -1;
  std::vector<std::int64_t> ids;  ///< host snapshot: the five id arrays and the periods (0 when absent), back to back
  std::vector<float> weights;     ///< host snapshot, [c_z, F]
  DeviceBuffer buffer;            ///< the six token arrays, then W^T [F, c_z]
  cudaEvent_t last_use = nullptr;

  ~UploadedInputs() {
    if (last_use != nullptr) {
      cudaEventSynchronize(last_use);
      cudaEventDestroy(last_use);
    }
  }

  static constexpr int kArrays = 6;  // kIdFields, then cyclic_period
  std::size_t id_count() const { return ids.size() / kArrays; }

  // Array k of the layout as the snapshot holds it (k = 5: the periods, zeros when absent).
  static void copy_array(const Layout& layout, int k, std::int64_t* target) {
    const auto count = static_cast<std::size_t>(layout.batch() * layout.tokens());
    if (k < 5) {
      std::memcpy(target, layout.ids(kIdFields[k]).data(), count * sizeof(std::int64_t));
    } else if (layout.has_periods()) {
      std::memcpy(target, layout.cyclic_period.data(), count * sizeof(std::int64_t));
    } else {
      std::fill_n(target, count, std::int64_t{0});
    }
  }
  const std::int64_t* device_ids(int k) const {
    return static_cast<const std::int64_t*>(buffer.get()) + static_cast<std::size_t>(k) * id_count();
  }
  const float* device_table() const {
    return reinterpret_cast<const float*>(static_cast<const std::int64_t*>(buffer.get()) + ids.size());
  }

  bool holds(const Problem& problem, int current_device) const {
    const Layout& layout = problem.layout;
    if (device != current_device || !(config == problem.config) || batch != layout.batch() ||
        tokens != layout.tokens() || weights.size() != problem.weights.size())
      return false;
    const std::size_t count = id_count();
    std::vector<std::int64_t> array(count);
    for (int k = 0; k < kArrays; ++k) {
      copy_array(layout, k, array.data());
      if (std::memcmp(ids.data() + k * count, array.data(), count * sizeof(std::int64_t)) != 0) return false;
    }
    return std::memcmp(weights.data(), problem.weights.data(), weights.size() * sizeof(float)) == 0;
  }

  void upload(const Problem& problem, int current_device, cudaStream_t stream) {
    if (last_use != nullptr) check(cudaEventSynchronize(last_use), "cudaEventSynchronize(previous lookup)");
    const int previous_device = std::exchange(device, -1);  // holds() is false until the upload completes
    const Layout& layout = problem.layout;
    const std::size_t count = static_cast<std::size_t>(layout.batch() * layout.tokens());
    ids.resize(kArrays * count);
    for (int k = 0; k < kArrays; ++k) copy_array(layout, k, ids.data() + k * count);
    weights.assign(problem.weights.begin(), problem.weights.end());
    const auto channels = static_cast<std::size_t>(problem.config.c_z);
    const auto features = static_cast<std::size_t>(problem.config.feature_width());

    // One staging blob, one copy: ids then W^T.
    std::vector<std::byte> blob(ids.size() * sizeof(std::int64_t) + features * channels * sizeof(float));
    std::memcpy(blob.data(), ids.data(), ids.size() * sizeof(std::int64_t));
    auto* table = reinterpret_cast<float*>(blob.data() + ids.size() * sizeof(std::int64_t));
    for (std::size_t c = 0; c < channels; ++c)
      for (std::size_t f = 0; f < features; ++f) table[f * channels + c] = weights[c * features + f];

    if (previous_device != current_device) {
      // The old buffer belongs to another device: free it there.
      if (buffer.get() != nullptr && previous_device >= 0) {
        const int keep = current_device;
        cudaSetDevice(previous_device);
        buffer = DeviceBuffer();
        if (last_use != nullptr) {
          cudaEventDestroy(last_use);
          last_use = nullptr;
        }
        cudaSetDevice(keep);
      }
    }
    buffer = DeviceBuffer();
    buffer = DeviceBuffer(blob.size(), "ids and weight table");
    check(cudaMemcpyAsync(buffer.get(), blob.data(), blob.size(), cudaMemcpyHostToDevice, stream),
          fmt::format("cudaMemcpyAsync({} ids and weight table to device)", byte_size(blob.size())));
    // The copy reads pageable memory; make sure it is done before `blob` goes away.
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(after uploading ids and weights)");
    if (last_use == nullptr) check(cudaEventCreateWithFlags(&last_use, cudaEventDisableTiming), "cudaEventCreate");
    device = current_device;
    config = problem.config;
    batch = layout.batch();
    tokens = layout.tokens();
  }
};

class CudaLookupBackend final : public Backend {
 public:
  explicit CudaLookupBackend(const BackendOptions& options) : options_(options) {}

  std::string_view name() const override { return "cuda"; }
  Availability availability() const override {
    const cuda::DeviceState state = cuda::probe_device();
    return {state.usable, state.detail};
  }
  bool accepts(MemorySpace) const override { return true; }
  MemorySpace native_space() const override { return MemorySpace::device; }
  Workspace workspace(const MemoryShape& shape) const override { return cuda_lookup_workspace(shape); }
  std::unique_ptr<Arena> make_arena() const override { return cuda::make_device_arena(); }
  bool has_backward() const override { return true; }
  bool backward_deterministic() const override { return true; }
  Workspace backward_workspace(const MemoryShape& shape) const override {
    return {"fused CUDA weight gradient: fixed row slots, a per-block [F, c_z] histogram (shared memory when it "
            "fits; each thread owns its channels, no atomics), slot partials added in order: bitwise on every run",
            {{"device slot partials [slots, F, c_z]", cuda::weight_gradient_workspace_bytes(shape.config)}},
            "host G and dW pass through device buffers of their size"};
  }

 protected:
  void compute(const Problem& problem, const PairOutput& out) const override {
    cuda::require_device();
    const auto stream = static_cast<cudaStream_t>(options_.cuda_stream);
    int device = 0;
    check(cudaGetDevice(&device), "cudaGetDevice");
    check_pointer(out, device);

    std::lock_guard lock(mutex_);
    const cuda::DeviceLookupProblem lookup = device_problem(problem, device, stream);
    cuda::LookupTuning tuning;
    if (options_.streaming == Streaming::always) tuning.stores = cuda::StorePolicy::streaming;
    if (options_.streaming == Streaming::never) tuning.stores = cuda::StorePolicy::cached;

    if (out.space == MemorySpace::device) {
      launch(lookup, out.mode, out.data, stream, tuning);
      check(cudaEventRecord(inputs_.last_use, stream), "cudaEventRecord(after the lookup kernel)");
      return;
    }
    // Host memory: through a device buffer, synchronously.
    const std::size_t bytes = out.bytes();
    DeviceBuffer staging(bytes, "output");
    if (out.mode == OutputMode::accumulate)
      check(cudaMemcpyAsync(staging.get(), out.data, bytes, cudaMemcpyHostToDevice, stream),
            fmt::format("cudaMemcpyAsync({} z to device)", byte_size(bytes)));
    launch(lookup, out.mode, staging.get(), stream, tuning);
    check(cudaEventRecord(inputs_.last_use, stream), "cudaEventRecord(after the lookup kernel)");
    check(cudaMemcpyAsync(out.data, staging.get(), bytes, cudaMemcpyDeviceToHost, stream),
          fmt::format("cudaMemcpyAsync({} output to host)", byte_size(bytes)));
    check(cudaStreamSynchronize(stream), fmt::format("lookup kernel ({}) and copy to host", to_string(out.mode)));
  }

  // The weight gradient of host G into host dW, through device buffers, synchronously.
  void compute_backward(const Problem& problem, std::span<const float> grad_output,
                        std::span<float> grad_weight) const override {
    cuda::require_device();
    const auto stream = static_cast<cudaStream_t>(options_.cuda_stream);
    int device = 0;
    check(cudaGetDevice(&device), "cudaGetDevice");
    std::lock_guard lock(mutex_);
    const cuda::DeviceLookupProblem lookup = device_problem(problem, device, stream);
    DeviceBuffer g(grad_output.size_bytes(), "grad_output"), dw(grad_weight.size_bytes(), "grad_weight");
    DeviceBuffer workspace(cuda::weight_gradient_workspace_bytes(problem.config), "gradient slot partials");
    if (!grad_output.empty())
      check(cudaMemcpyAsync(g.get(), grad_output.data(), grad_output.size_bytes(), cudaMemcpyHostToDevice, stream),
            fmt::format("cudaMemcpyAsync({} grad_output to device)", byte_size(grad_output.size_bytes())));
    check(cuda::weight_gradient(lookup, static_cast<const float*>(g.get()), static_cast<float*>(dw.get()),
                                workspace.get(), stream),
          fmt::format("weight gradient kernels ({} x {} x {} x {})", lookup.batch, lookup.tokens, lookup.tokens,
                      lookup.config.c_z));
    check(cudaEventRecord(inputs_.last_use, stream), "cudaEventRecord(after the weight gradient)");
    check(cudaMemcpyAsync(grad_weight.data(), dw.get(), grad_weight.size_bytes(), cudaMemcpyDeviceToHost, stream),
          fmt::format("cudaMemcpyAsync({} grad_weight to host)", byte_size(grad_weight.size_bytes())));
    check(cudaStreamSynchronize(stream), "weight gradient and copy to host");
  }

 private:
  // The problem's inputs on `device` (uploaded unless they are already there), as the device API takes them.
  cuda::DeviceLookupProblem device_problem(const Problem& problem, int device, cudaStream_t stream) const {
    if (!inputs_.holds(problem, device)) inputs_.upload(problem, device, stream);
    cuda::DeviceLookupProblem lookup;
    lookup.config = problem.config;
    lookup.ids = {inputs_.device_ids(0), inputs_.device_ids(1), inputs_.device_ids(2),
                  inputs_.device_ids(3), inputs_.device_ids(4), inputs_.device_ids(5)};
    lookup.any_cyclic = problem.layout.any_cyclic();
    lookup.weights = cuda::DeviceWeights::transposed(inputs_.device_table(), problem.config);
    lookup.batch = problem.layout.batch();
    lookup.tokens = problem.layout.tokens();
    return lookup;
  }

  static void check_pointer(const PairOutput& out, int device) {
    cudaPointerAttributes attributes{};
    if (cudaPointerGetAttributes(&attributes, out.data) != cudaSuccess) {
      cudaGetLastError();
      attributes.type = cudaMemoryTypeUnregistered;
    }
    const bool device_memory = attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
    if (out.space == MemorySpace::device && !device_memory)
      throw InputError("cuda: the output is marked device memory but its pointer is not CUDA device memory");
    if (out.space == MemorySpace::device && attributes.type == cudaMemoryTypeDevice && attributes.device != device)
      throw InputError(fmt::format("cuda: the output lives on device {} but the current device is {}",
                                   attributes.device, device));
    if (out.space == MemorySpace::host && attributes.type == cudaMemoryTypeDevice)
      throw InputError("cuda: the output is marked host memory but its pointer is CUDA device memory");
  }

  static void launch(const cuda::DeviceLookupProblem& lookup, OutputMode mode, void* target, cudaStream_t stream,
                     const cuda::LookupTuning& tuning) {
    cudaError_t status = cudaSuccess;
    switch (mode) {
      case OutputMode::write_fp32: status = cuda::write_fp32(lookup, static_cast<float*>(target), stream, tuning); break;
      case OutputMode::write_bf16:
        status = cuda::write_bf16(lookup, static_cast<std::uint16_t*>(target), stream, tuning);
        break;
      case OutputMode::accumulate: status = cuda::accumulate(lookup, static_cast<float*>(target), stream, tuning); break;
    }
    check(status, fmt::format("lookup kernel launch ({}, {} x {} x {} x {})", to_string(mode), lookup.batch,
                              lookup.tokens, lookup.tokens, lookup.config.c_z));
  }

  BackendOptions options_;
  mutable std::mutex mutex_;
  mutable UploadedInputs inputs_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_lookup_backend(const BackendOptions& options) {
  return std::make_unique<CudaLookupBackend>(options);
}

}  // namespace relpos
