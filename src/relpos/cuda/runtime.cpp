#include "relpos/cuda/runtime.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "relpos/cuda/lookup.hpp"
#include "relpos/errors.hpp"

#ifndef RELPOS_CUDA_ARCHITECTURES
#define RELPOS_CUDA_ARCHITECTURES ""
#endif

namespace relpos::cuda {

void check(cudaError_t status, std::string_view call) {
  if (status == cudaSuccess) return;
  throw RuntimeFailure(fmt::format("cuda: {}: {}", call, cudaGetErrorString(status)));
}

std::string byte_size(std::size_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1e9) return fmt::format("{:.1f} GB", b / 1e9);
  if (b >= 1e6) return fmt::format("{:.1f} MB", b / 1e6);
  if (b >= 1e3) return fmt::format("{:.1f} KB", b / 1e3);
  return fmt::format("{} bytes", bytes);
}

std::string compiled_architectures() {
  // CMAKE_CUDA_ARCHITECTURES with "," for ";": "80-real,90-real,90-virtual"; a bare "86" is both.
  std::vector<std::string> real;
  std::vector<std::string> virtual_;
  std::stringstream list{std::string(RELPOS_CUDA_ARCHITECTURES)};
  for (std::string item; std::getline(list, item, ',');) {
    if (item.empty()) continue;
    const auto dash = item.find('-');
    const std::string number = item.substr(0, dash);
    const std::string kind = dash == std::string::npos ? "" : item.substr(dash + 1);
    if (kind != "virtual") real.push_back("sm_" + number);
    if (kind != "real") virtual_.push_back("compute_" + number);
  }
  std::string text = fmt::format("{}", fmt::join(real, ", "));
  if (!virtual_.empty()) text += fmt::format("{}PTX ({})", text.empty() ? "" : " + ", fmt::join(virtual_, ", "));
  return text.empty() ? "unknown architectures" : text;
}

namespace {

std::string no_device(std::string_view why) { return fmt::format("compiled ({}), no device: {}", compiled_architectures(), why); }

// The static runtime loads the driver itself; "insufficient driver" then also
// means "no driver at all", which is worth saying plainly.
std::string runtime_error_text(cudaError_t status) {
  std::string text = cudaGetErrorString(status);
  if (status == cudaErrorInsufficientDriver && dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD) == nullptr)
    text += " (no NVIDIA driver: libcuda.so.1 not loadable)";
  return text;
}

DeviceState describe_device(int device) {
  cudaDeviceProp prop{};
  int driver = 0;
  int runtime = 0;
  if (const cudaError_t e = cudaGetDeviceProperties(&prop, device); e != cudaSuccess)
    return {false, no_device(runtime_error_text(e))};
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  const std::string description =
      fmt::format("{}, sm_{}{}, {} SMs, {:.0f} GB, driver {}.{}, runtime {}.{}", prop.name, prop.major, prop.minor,
                  prop.multiProcessorCount, static_cast<double>(prop.totalGlobalMem) / 1e9, driver / 1000,
                  driver % 1000 / 10, runtime / 1000, runtime % 1000 / 10);
  if (const cudaError_t e = check_kernel_image(); e != cudaSuccess) {
    cudaGetLastError();
    return {false, fmt::format("compiled ({}), but {} cannot run it: {}", compiled_architectures(), description,
                               cudaGetErrorString(e))};
  }
  return {true, description};
}

}  // namespace

DeviceState probe_device() {
  // A process's devices do not come and go: ask the runtime once per device
  // (cudaGetDeviceProperties is slow, and run() asks before every launch).
  static std::mutex mutex;
  static std::optional<DeviceState> none;
  static std::map<int, DeviceState> known;
  std::lock_guard lock(mutex);
  if (none) return *none;
  int count = 0;
  if (const cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess) {
    cudaGetLastError();  // clear the non-sticky error
    none = DeviceState{false, no_device(runtime_error_text(e))};
    return *none;
  }
  if (count == 0) {
    none = DeviceState{false, no_device("no CUDA device visible")};
    return *none;
  }
  int current = 0;
  if (const cudaError_t e = cudaGetDevice(&current); e != cudaSuccess) return {false, no_device(runtime_error_text(e))};
  if (auto it = known.find(current); it != known.end()) return it->second;
  return known.emplace(current, describe_device(current)).first->second;
}

void require_device() {
  const DeviceState state = probe_device();
  if (!state.usable) throw RuntimeFailure(fmt::format("cuda: {}", state.detail));
}

}  // namespace relpos::cuda
