// The `cuda` backend against the sequential one-hot reference, in every mode,
// through host memory, device memory, the device API and a caller's stream.
// Tests that need a GPU skip with the backend's own words when there is none;
// the tests of how the backend behaves without one run everywhere.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "relpos/backend.hpp"
#include "relpos/gradient.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/arena.hpp"
#include "relpos/compare.hpp"
#include "relpos/errors.hpp"
#include "relpos/synthetic_weights.hpp"
#include "cli_runner.hpp"
#include "test_layouts.hpp"
#include "test_weights.hpp"

#if RELPOS_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "cuda_test_kernels.hpp"
#include "relpos/cuda/lookup.hpp"
#endif

namespace relpos {
namespace {

/// Why CUDA tests cannot run here ("cuda: compiled (...), no device: ..."), or nothing.
std::optional<std::string> cuda_unavailable() {
  const Availability availability = make_backend("cuda")->availability();
  if (availability.available) return std::nullopt;
  return "cuda: " + availability.detail;
}

#define SKIP_WITHOUT_CUDA_DEVICE()                               \
  do {                                                           \
    if (const auto why = cuda_unavailable()) GTEST_SKIP() << *why; \
  } while (false)

using testing::wide_range_weights;

xt::xtensor<float, 4> accumulate_start(const Problem& problem) {
  xt::xtensor<float, 4> z(problem.output_shape());
  for (std::size_t k = 0; k < z.size(); ++k) z.data()[k] = std::ldexp(static_cast<float>(k % 89) - 44.0f, -3);
  return z;
}

struct CudaCase {
  std::string name;
  Config config;
  Layout layout;
  /// `onehot`, or `cpu` where onehot would take seconds (cpu is bitwise equal to
  /// onehot: test_backends.cpp proves it on every layout).
  std::string reference = "onehot";
};

void PrintTo(const CudaCase& c, std::ostream* os) { *os << c.name; }

using testing::chains;

std::vector<CudaCase> cuda_cases() {
  std::vector<CudaCase> all;
  for (const testing::LayoutCase& c : testing::backend_layout_cases()) all.push_back({c.name, c.config, c.layout});
  // c_z not a multiple of 4 (and multiples), each with a token count no tile divides.
  for (std::int32_t c_z : {1, 3, 5, 17, 33, 128, 129})
    all.push_back({"c_z_" + std::to_string(c_z), Config{6, 2, c_z}, chains({23, 31, 1, 12})});
  // Rows longer than one tile (256 pairs at c_z = 128 in fp32), a partial last tile.
  all.push_back({"three_tiles", Config{32, 2, 128}, chains({300, 211, 89}), "cpu"});
  all.push_back({"paper_variant", Config{4, 1, 20, Variant::paper}, testing::homomer(3, 6)});
  // c_z so wide that a pair has more channel vectors than a block has threads.
  // W^T fits in shared memory (147 KB) or does not (295 KB).
  all.push_back({"wide_pairs_shared_table", Config{2, 1, 2052}, testing::homomer(2, 3)});
  all.push_back({"wide_pairs_global_table", Config{2, 1, 4100}, testing::homomer(2, 3)});
  return all;
}

class CudaEveryLayout : public ::testing::TestWithParam<CudaCase> {};

TEST_P(CudaEveryLayout, Fp32IsBitwiseEqualToOnehot) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const CudaCase& c = GetParam();
  for (std::uint64_t seed : {31u, 32u}) {
    const Weights weights =
        seed == 31 ? protenix_synthetic_weights(c.config, seed) : wide_range_weights(c.config, seed);
    const Problem problem{c.config, c.layout, weights};
    const auto reference = compute_fp32(*make_backend(c.reference), problem);
    for (Streaming streaming : {Streaming::automatic, Streaming::always, Streaming::never}) {
      const auto got = compute_fp32(*make_backend("cuda", {.streaming = streaming}), problem);
      const Comparison result = compare_tensors(problem, reference, got, Precision::fp32, Policy::bitwise());
      EXPECT_TRUE(result.passed()) << "seed=" << seed << " streaming=" << int(streaming) << "\n" << result.report();
    }
  }
}

TEST_P(CudaEveryLayout, Bf16IsTheReferenceRoundedOnce) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const CudaCase& c = GetParam();
  const Weights weights = wide_range_weights(c.config, 33);
  const Problem problem{c.config, c.layout, weights};
  const auto reference = compute_fp32(*make_backend(c.reference), problem);
  xt::xtensor<bf16_bits, 4> got(problem.output_shape());
  make_backend("cuda")->run(problem, PairOutput::write_bf16(got));
  for (std::size_t k = 0; k < got.size(); ++k)
    ASSERT_EQ(got.data()[k], bf16_round(reference.data()[k])) << "element " << k << " of " << got.size();
}

TEST_P(CudaEveryLayout, AccumulateAddsIntoTheExistingTensor) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const CudaCase& c = GetParam();
  const Weights weights = protenix_synthetic_weights(c.config, 34);
  const Problem problem{c.config, c.layout, weights};
  const auto p = compute_fp32(*make_backend(c.reference), problem);
  const xt::xtensor<float, 4> z0 = accumulate_start(problem);
  xt::xtensor<float, 4> expected = z0;
  for (std::size_t k = 0; k < expected.size(); ++k) expected.data()[k] = z0.data()[k] + p.data()[k];
  xt::xtensor<float, 4> z = z0;
  make_backend("cuda")->run(problem, PairOutput::accumulate(z));
  const Comparison result = compare_tensors(problem, expected, z, Precision::fp32, Policy::bitwise());
  EXPECT_TRUE(result.passed()) << result.report();
}

INSTANTIATE_TEST_SUITE_P(Layouts, CudaEveryLayout, ::testing::ValuesIn(cuda_cases()),
                         [](const auto& info) { return info.param.name; });

// ---- without a device: honest refusal --------------------------------------------

TEST_P(CudaEveryLayout, WeightGradientIsWithinTheAnyOrderBoundAndDeterministic) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const CudaCase& c = GetParam();
  if (c.config.c_z > 512) GTEST_SKIP() << "the sequential gradient reference at c_z " << c.config.c_z << " is slow";
  const Weights weights = protenix_synthetic_weights(c.config, 31);
  const Problem problem{c.config, c.layout, weights};
  std::vector<float> g(problem.output_shape()[0] * problem.output_shape()[1] * problem.output_shape()[2] *
                       problem.output_shape()[3]);
  for (std::size_t k = 0; k < g.size(); ++k) g[k] = static_cast<float>(static_cast<int>(k * 2654435761u % 17) - 8);
  const GradientTerms terms = gradient_terms(problem, g);
  const GradWeight reference = compute_weight_gradient(*make_backend("onehot"), problem, g);
  const auto cuda = make_backend("cuda");
  const GradWeight first = compute_weight_gradient(*cuda, problem, g);
  const GradientComparison verdict = compare_gradient(problem, terms, reference, first, Policy::any_order());
  EXPECT_TRUE(verdict.passed()) << verdict.report(problem.config);
  const GradWeight second = compute_weight_gradient(*cuda, problem, g);
  EXPECT_EQ(std::memcmp(first.data(), second.data(), first.size() * sizeof(float)), 0) << "not deterministic";
}

TEST(CudaBackend, ReportsItsStateAndLivesOnTheDevice) {
  const auto backend = make_backend("cuda");
  EXPECT_EQ(backend->name(), "cuda");
  EXPECT_TRUE(backend->exact_order());
  const Availability availability = backend->availability();
#if RELPOS_HAVE_CUDA
  EXPECT_TRUE(backend->accepts(MemorySpace::host));
  EXPECT_TRUE(backend->accepts(MemorySpace::device));
  EXPECT_EQ(backend->native_space(), MemorySpace::device);
  // Independent of the backend: ask the runtime directly.
  int count = 0;
  const bool device_present = cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
  cudaGetLastError();
  if (device_present) {
    EXPECT_TRUE(availability.available) << availability.detail;
    EXPECT_NE(availability.detail.find(", sm_"), std::string::npos) << availability.detail;
  } else {
    EXPECT_FALSE(availability.available);
    EXPECT_EQ(availability.detail.rfind("compiled (sm_80, sm_90 + PTX (compute_90)), no device: ", 0), 0u)
        << availability.detail;
  }
#else
  EXPECT_FALSE(availability.available);
  EXPECT_NE(availability.detail.find("not compiled"), std::string::npos) << availability.detail;
#endif
}

TEST(CudaBackend, WithoutADeviceRunFailsNamingTheReason) {
  const auto why = cuda_unavailable();
  if (!why) GTEST_SKIP() << "a CUDA device is present: this test covers machines without one";
  const Config config{2, 1, 4};
  const Layout layout = testing::monomer(3, 0);
  const Weights weights = protenix_synthetic_weights(config, 1);
  try {
    compute_fp32(*make_backend("cuda"), Problem{config, layout, weights});
    FAIL() << "run() succeeded without a device";
  } catch (const RuntimeFailure& e) {
    const std::string message = e.what();
#if RELPOS_HAVE_CUDA
    EXPECT_NE(message.find("no device"), std::string::npos) << message;
#else
    EXPECT_NE(message.find("not compiled"), std::string::npos) << message;
#endif
  }
}

TEST(CudaDeviceArena, WithoutADeviceIsARuntimeFailure) {
  const auto why = cuda_unavailable();
  if (!why) GTEST_SKIP() << "a CUDA device is present: this test covers machines without one";
  EXPECT_THROW(make_backend("cuda")->make_arena(), RuntimeFailure);
}

/// The `cuda` row of `relpos backends`, as the CLI prints it.
std::string backends_row(const std::string& backend) {
  const std::string output = testing::run_relpos("backends", std::filesystem::temp_directory_path()).out;
  std::size_t at = 0;
  while (at < output.size()) {
    const std::size_t end = output.find('\n', at);
    const std::string line = output.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (line.rfind(backend + " ", 0) == 0) return line;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return {};
}

TEST(CudaCli, BackendsStatesTheCudaStateHonestly) {
  const std::string row = backends_row("cuda");
  ASSERT_FALSE(row.empty()) << "no cuda row in `relpos backends`";
#if RELPOS_HAVE_CUDA
  int count = 0;
  const bool device_present = cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
  cudaGetLastError();
  if (device_present) {
    EXPECT_NE(row.find(" yes "), std::string::npos) << row;
  } else {
    EXPECT_NE(row.find(" no "), std::string::npos) << row;
    EXPECT_NE(row.find("compiled (sm_80, sm_90 + PTX (compute_90)), no device: "), std::string::npos) << row;
  }
#else
  EXPECT_NE(row.find(" no "), std::string::npos) << row;
  EXPECT_NE(row.find("not compiled"), std::string::npos) << row;
#endif
}

#if RELPOS_HAVE_CUDA

// ---- device memory and the device API ---------------------------------------------

void cuda_ok(cudaError_t status, const char* what) { ASSERT_EQ(status, cudaSuccess) << what << ": " << cudaGetErrorString(status); }

template <class T>
class DeviceArray {
 public:
  explicit DeviceArray(std::size_t count, std::size_t extra = 0) : count_(count) {
    cuda_ok(cudaMalloc(reinterpret_cast<void**>(&data_), (count + extra) * sizeof(T) + 16), "cudaMalloc");
  }
  ~DeviceArray() { cudaFree(data_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  T* get() const { return data_; }
  void upload(const T* host, std::size_t count, std::size_t offset = 0) {
    cuda_ok(cudaMemcpy(data_ + offset, host, count * sizeof(T), cudaMemcpyHostToDevice), "upload");
  }
  void download(T* host, std::size_t count, std::size_t offset = 0) const {
    cuda_ok(cudaMemcpy(host, data_ + offset, count * sizeof(T), cudaMemcpyDeviceToHost), "download");
  }

 private:
  T* data_ = nullptr;
  std::size_t count_;
};

/// The problem's ids and weights uploaded for the device API.
struct DeviceProblem {
  DeviceArray<std::int64_t> ids;
  DeviceArray<float> weights;
  cuda::DeviceLookupProblem problem;

  DeviceProblem(const Problem& host, bool transposed)
      : ids(5 * static_cast<std::size_t>(host.layout.batch() * host.layout.tokens())), weights(host.weights.size()) {
    const auto count = static_cast<std::size_t>(host.layout.batch() * host.layout.tokens());
    for (std::size_t k = 0; k < 5; ++k) ids.upload(host.layout.ids(kIdFields[k]).data(), count, k * count);
    problem.config = host.config;
    problem.ids = {ids.get(), ids.get() + count, ids.get() + 2 * count, ids.get() + 3 * count, ids.get() + 4 * count};
    problem.batch = host.layout.batch();
    problem.tokens = host.layout.tokens();
    if (transposed) {
      const xt::xtensor<float, 2> table = transposed_table(host.weights);
      weights.upload(table.data(), table.size());
      problem.weights = cuda::DeviceWeights::transposed(weights.get(), host.config);
    } else {
      weights.upload(host.weights.data(), host.weights.size());
      problem.weights = cuda::DeviceWeights::linear(weights.get(), host.config);
    }
  }
};

TEST(CudaDeviceMemory, EveryModeOnACallersStream) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const Config config{5, 2, 36};
  const Layout layout = testing::batch_of_three();
  const Weights weights = wide_range_weights(config, 41);
  const Problem problem{config, layout, weights};
  const auto reference = compute_fp32(*make_backend("onehot"), problem);
  const std::size_t count = reference.size();
  cudaStream_t stream = nullptr;
  cuda_ok(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  const auto backend = make_backend("cuda", {.cuda_stream = stream});

  DeviceArray<float> fp32(count);
  cuda_ok(cudaMemsetAsync(fp32.get(), 0xff, count * sizeof(float), stream), "memset");
  backend->run(problem, PairOutput::write(fp32.get(), 3, 9, config.c_z, MemorySpace::device));
  cuda_ok(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  std::vector<float> got(count);
  fp32.download(got.data(), count);
  for (std::size_t k = 0; k < count; ++k) ASSERT_EQ(got[k], reference.data()[k]) << "fp32 element " << k;

  DeviceArray<bf16_bits> bf16(count);
  backend->run(problem, PairOutput::write_bf16(bf16.get(), 3, 9, config.c_z, MemorySpace::device));
  cuda_ok(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  std::vector<bf16_bits> bits(count);
  bf16.download(bits.data(), count);
  for (std::size_t k = 0; k < count; ++k) ASSERT_EQ(bits[k], bf16_round(reference.data()[k])) << "bf16 element " << k;

  const xt::xtensor<float, 4> z0 = accumulate_start(problem);
  DeviceArray<float> z(count);
  z.upload(z0.data(), count);
  backend->run(problem, PairOutput::accumulate(z.get(), 3, 9, config.c_z, MemorySpace::device));
  cuda_ok(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  z.download(got.data(), count);
  for (std::size_t k = 0; k < count; ++k)
    ASSERT_EQ(got[k], z0.data()[k] + reference.data()[k]) << "accumulate element " << k;
  cudaStreamDestroy(stream);
}

TEST(CudaDeviceMemory, NewInputsAtTheSameAddressesAreUploadedAgain) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const Config config{4, 1, 8};
  Layout layout = testing::homomer(2, 6);
  Weights weights = protenix_synthetic_weights(config, 43);
  const auto backend = make_backend("cuda");
  const auto first = compute_fp32(*backend, Problem{config, layout, weights});
  layout.residue_index(0, 3) += 7;  // same buffers, different content
  weights(2, 5) *= -3.0f;
  const Problem changed{config, layout, weights};
  const auto reference = compute_fp32(*make_backend("onehot"), changed);
  const auto second = compute_fp32(*backend, changed);
  EXPECT_TRUE(compare_tensors(changed, reference, second, Precision::fp32, Policy::bitwise()).passed());
  EXPECT_FALSE(std::equal(first.begin(), first.end(), second.begin()));
}

TEST(CudaDeviceMemory, HostPointerMarkedDeviceIsAnInputError) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const Config config{2, 1, 4};
  const Layout layout = testing::monomer(3, 0);
  const Weights weights = protenix_synthetic_weights(config, 1);
  std::vector<float> host(36);
  EXPECT_THROW(make_backend("cuda")->run(Problem{config, layout, weights},
                                         PairOutput::write(host.data(), 1, 3, 4, MemorySpace::device)),
               InputError);
}

/// Empty when equal (+0 == -0), else where and how the first element differs.
template <class T>
std::string first_difference(const std::vector<T>& got, const std::vector<T>& expected) {
  if (got.size() != expected.size()) return "sizes differ";
  for (std::size_t k = 0; k < got.size(); ++k)
    if (!(got[k] == expected[k]))
      return ::testing::PrintToString(got[k]) + " != expected " + ::testing::PrintToString(expected[k]) +
             " at element " + std::to_string(k);
  return {};
}

/// Runs the device API into a fresh device buffer (at `offset` elements from a
/// 256-byte aligned base) and returns the result on the host.
template <class T>
std::vector<T> run_device_api(const cuda::DeviceLookupProblem& problem, cuda::LookupOutput output,
                              const cuda::LookupTuning& tuning, std::size_t offset = 0,
                              const std::vector<T>& start = {}, cuda::LaunchPlan* plan = nullptr) {
  const auto count = static_cast<std::size_t>(problem.elements());
  DeviceArray<T> out(count, offset);
  if (!start.empty()) out.upload(start.data(), count, offset);
  T* target = out.get() + offset;
  if (plan != nullptr) cuda_ok(cuda::plan_lookup(problem, output, target, tuning, plan), "plan_lookup");
  cudaError_t status = cudaSuccess;
  if constexpr (std::is_same_v<T, float>) {
    status = output == cuda::LookupOutput::fp32 ? cuda::write_fp32(problem, target, nullptr, tuning)
                                                : cuda::accumulate(problem, target, nullptr, tuning);
  } else {
    status = cuda::write_bf16(problem, target, nullptr, tuning);
  }
  cuda_ok(status, "launch");
  cuda_ok(cudaDeviceSynchronize(), "kernel");
  std::vector<T> host(count);
  out.download(host.data(), count, offset);
  return host;
}

TEST(CudaDeviceApi, EveryPathAndLayoutIsBitwiseEqual) {
  SKIP_WITHOUT_CUDA_DEVICE();
  for (std::int32_t c_z : {4, 6, 128, 129}) {
    const Config config{6, 2, c_z};
    const Layout layout = chains({40, 17, 3});
    const Weights weights = wide_range_weights(config, 50 + static_cast<std::uint64_t>(c_z));
    const Problem host{config, layout, weights};
    const auto reference = compute_fp32(*make_backend("onehot"), host);
    const std::vector<float> expected(reference.begin(), reference.end());
    std::vector<bf16_bits> expected_bf16(expected.size());
    for (std::size_t k = 0; k < expected.size(); ++k) expected_bf16[k] = bf16_round(expected[k]);
    const xt::xtensor<float, 4> z0 = accumulate_start(host);
    const std::vector<float> start(z0.begin(), z0.end());
    std::vector<float> expected_sum(expected.size());
    for (std::size_t k = 0; k < expected.size(); ++k) expected_sum[k] = start[k] + expected[k];

    for (bool transposed : {false, true})
      for (bool global_table : {false, true})
        for (cuda::StorePolicy stores : {cuda::StorePolicy::streaming, cuda::StorePolicy::cached})
          for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{2}}) {
            SCOPED_TRACE(::testing::Message() << "c_z=" << c_z << " transposed=" << transposed
                                              << " global_table=" << global_table << " streaming="
                                              << (stores == cuda::StorePolicy::streaming) << " offset=" << offset);
            const DeviceProblem device(host, transposed);
            const cuda::LookupTuning tuning{stores, global_table};
            cuda::LaunchPlan plan;
            EXPECT_EQ(first_difference(
                          run_device_api<float>(device.problem, cuda::LookupOutput::fp32, tuning, offset, {}, &plan),
                          expected),
                      "");
            EXPECT_EQ(plan.table_in_shared, !global_table);
            EXPECT_EQ(plan.streaming, stores == cuda::StorePolicy::streaming);
            EXPECT_EQ(first_difference(
                          run_device_api<bf16_bits>(device.problem, cuda::LookupOutput::bf16, tuning, offset),
                          expected_bf16),
                      "");
            EXPECT_EQ(first_difference(run_device_api<float>(device.problem, cuda::LookupOutput::accumulate, tuning,
                                                             offset, start),
                                       expected_sum),
                      "");
          }
  }
}

TEST(CudaDeviceApi, DispatchPicksWideStoresAndSharedTable) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const Config config{32, 2, 128};
  const Layout layout = testing::monomer(1000, 1);
  const Weights weights = protenix_synthetic_weights(config, 60);
  const DeviceProblem device(Problem{config, layout, weights}, false);
  DeviceArray<float> out(static_cast<std::size_t>(device.problem.elements()));
  cuda::LaunchPlan plan;
  ASSERT_EQ(cuda::plan_lookup(device.problem, cuda::LookupOutput::fp32, out.get(), {}, &plan), cudaSuccess);
  EXPECT_EQ(plan.vector_width, 4);
  EXPECT_EQ(plan.lanes_per_pair, 32);
  EXPECT_TRUE(plan.table_in_shared);
  EXPECT_GT(plan.shared_bytes, std::size_t{71168});  // W^T alone is 139 x 128 x 4 bytes
  EXPECT_GE(plan.blocks_per_sm, 1);
  EXPECT_LE(plan.blocks, plan.tiles);
  ASSERT_EQ(cuda::plan_lookup(device.problem, cuda::LookupOutput::bf16, out.get(), {}, &plan), cudaSuccess);
  EXPECT_EQ(plan.vector_width, 8);
  ASSERT_EQ(cuda::plan_lookup(device.problem, cuda::LookupOutput::fp32, out.get() + 1, {}, &plan), cudaSuccess);
  EXPECT_EQ(plan.vector_width, 1);
  ASSERT_EQ(cuda::plan_lookup(device.problem, cuda::LookupOutput::fp32, out.get() + 2, {}, &plan), cudaSuccess);
  EXPECT_EQ(plan.vector_width, 2);
}

TEST(CudaDeviceApi, TableTooLargeForSharedMemoryIsReadThroughTheCache) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const Config config{600, 2, 64};  // F = 2411: W^T is 617 KB
  const Layout layout = chains({700, 30});
  const Weights weights = wide_range_weights(config, 61);
  const Problem problem{config, layout, weights};
  const DeviceProblem device(problem, true);
  cuda::LaunchPlan plan;
  DeviceArray<float> out(static_cast<std::size_t>(device.problem.elements()));
  ASSERT_EQ(cuda::plan_lookup(device.problem, cuda::LookupOutput::fp32, out.get(), {}, &plan), cudaSuccess);
  EXPECT_FALSE(plan.table_in_shared);
  // `cpu` is bitwise equal to `onehot` (test_backends.cpp) and fast enough for N = 730.
  const auto reference = compute_fp32(*make_backend("cpu"), problem);
  const auto got = compute_fp32(*make_backend("cuda"), problem);
  EXPECT_TRUE(compare_tensors(problem, reference, got, Precision::fp32, Policy::bitwise()).passed());
}

TEST(CudaDeviceApi, LargeBatchedComplexMatchesTheCpuLookup) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const Config config{32, 2, 128};
  const std::vector<Layout> elements = {chains({300, 300, 90, 10}), chains({700}), chains({5, 677, 18})};
  const Layout layout = Layout::stack(elements);
  const Weights weights = protenix_synthetic_weights(config, 62);
  const Problem problem{config, layout, weights};
  const auto reference = compute_fp32(*make_backend("cpu"), problem);
  const auto got = compute_fp32(*make_backend("cuda"), problem);
  const Comparison result = compare_tensors(problem, reference, got, Precision::fp32, Policy::bitwise());
  EXPECT_TRUE(result.passed()) << result.report();
}

TEST(CudaDeviceApi, IdsAtTheEndsOfInt64DoNotOverflow) {
  SKIP_WITHOUT_CUDA_DEVICE();
  constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  const Layout layout = Layout::from_arrays({lo, lo, hi, hi, 0, 0}, {lo, lo + 3, hi, hi - 40, 0, 1},
                                            {lo, lo, hi, hi, lo, lo}, {hi, lo, 0, 1, hi, lo},
                                            {lo, lo + 1, hi - 1, hi, 0, 1});
  const Config config{32, 2, 12};
  const Weights weights = wide_range_weights(config, 63);
  const Problem problem{config, layout, weights};
  const auto reference = compute_fp32(*make_backend("onehot"), problem);
  const auto got = compute_fp32(*make_backend("cuda"), problem);
  EXPECT_TRUE(compare_tensors(problem, reference, got, Precision::fp32, Policy::bitwise()).passed());
}

// Argument checks happen before any runtime call: these need no device.
TEST(CudaDeviceApiArguments, MalformedProblemsAreRejectedAndEmptyOnesDoNothing) {
  cuda::DeviceLookupProblem problem;
  problem.config = Config{2, 1, 4};
  problem.tokens = 3;
  float* const nowhere = reinterpret_cast<float*>(std::uintptr_t{256});  // never dereferenced
  EXPECT_EQ(cuda::write_fp32(problem, nowhere), cudaErrorInvalidValue);  // null ids and weights
  problem.tokens = 0;
  EXPECT_EQ(cuda::write_fp32(problem, nullptr), cudaSuccess);
  EXPECT_EQ(cuda::write_bf16(problem, nullptr), cudaSuccess);
  problem.tokens = -1;
  EXPECT_EQ(cuda::accumulate(problem, nowhere), cudaErrorInvalidValue);
  problem.tokens = std::int64_t{1} << 25;  // beyond any N this project accepts
  EXPECT_EQ(cuda::write_fp32(problem, nowhere), cudaErrorInvalidValue);
  problem.tokens = std::int64_t{1} << 20;
  problem.batch = std::int64_t{1} << 40;  // 2^82 bytes of output
  EXPECT_EQ(cuda::write_fp32(problem, nowhere), cudaErrorInvalidValue);
  problem.batch = 1;
  problem.config.c_z = 0;
  EXPECT_EQ(cuda::write_fp32(problem, nowhere), cudaErrorInvalidValue);
  cuda::LaunchPlan plan;
  EXPECT_EQ(cuda::plan_lookup(problem, cuda::LookupOutput::fp32, nowhere, {}, nullptr), cudaErrorInvalidValue);
  problem.config.c_z = 4;
  problem.tokens = 0;
  EXPECT_EQ(cuda::plan_lookup(problem, cuda::LookupOutput::fp32, nullptr, {}, &plan), cudaSuccess);
  EXPECT_EQ(plan.blocks, 0);  // an empty problem launches nothing
}

TEST(CudaDeviceApi, NanSumsRoundToBf16WithTheSharedRule) {
  SKIP_WITHOUT_CUDA_DEVICE();
  // The backend refuses non-finite weights; the device API does not check.
  // NaN payloads do not survive GPU arithmetic (an add returns the canonical
  // NaN), so the bf16 output is held to bf16_round of the device's own fp32
  // sums, bit for bit, and NaN where the host's sum is NaN.
  const Config config{1, 0, 8};
  const Layout layout = testing::homomer(2, 2);
  Weights weights = wide_range_weights(config, 64);
  const std::uint32_t payloads[] = {0x7fc00000u, 0x7f800001u, 0xffc12345u, 0x7fbfffffu};
  for (std::size_t c = 0; c < 4; ++c) std::memcpy(&weights(c, c), &payloads[c], sizeof(float));
  const Problem problem{config, layout, weights};
  const DeviceProblem device(problem, false);
  const auto sums = run_device_api<float>(device.problem, cuda::LookupOutput::fp32, {});
  const auto rounded = run_device_api<bf16_bits>(device.problem, cuda::LookupOutput::bf16, {});
  const BinParams params = bin_params(config);
  std::size_t k = 0;
  int nans = 0;
  for (std::int64_t i = 0; i < layout.tokens(); ++i)
    for (std::int64_t j = 0; j < layout.tokens(); ++j) {
      const HotColumns hot = hot_columns(params, pair_bins(params, layout.token(0, i), layout.token(0, j)));
      for (std::int64_t c = 0; c < config.c_z; ++c, ++k) {
        float sum = weights(c, hot.residue) + weights(c, hot.token);
        if (hot.entity >= 0) sum += weights(c, hot.entity);
        sum += weights(c, hot.chain);
        nans += std::isnan(sum);
        ASSERT_EQ(std::isnan(sums[k]), std::isnan(sum)) << "pair " << i << "," << j << " channel " << c;
        if (!std::isnan(sum)) ASSERT_EQ(sums[k], sum) << "pair " << i << "," << j << " channel " << c;
        ASSERT_EQ(rounded[k], bf16_round(sums[k])) << "pair " << i << "," << j << " channel " << c;
      }
    }
  EXPECT_GT(nans, 0) << "the test meant to produce NaN sums";
}

TEST(CudaBf16Rounding, SharedRuleMatchesTheHardwareConversion) {
  SKIP_WITHOUT_CUDA_DEVICE();
  std::vector<float> values;
  auto push_bits = [&](std::uint32_t bits) {
    float v;
    std::memcpy(&v, &bits, sizeof v);
    values.push_back(v);
  };
  for (std::uint32_t bits : {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7f7fffffu, 0xff7fffffu,
                             0x00000001u, 0x807fffffu, 0x3f808000u, 0x3f818000u, 0x3f80ffffu, 0x7f7f8000u})
    push_bits(bits);
  std::mt19937 rng(65);
  for (int k = 0; k < 200000; ++k) {
    const std::uint32_t bits = static_cast<std::uint32_t>(rng());
    push_bits(bits);
    push_bits((bits & 0xffff0000u) | 0x8000u);  // an exact tie
  }
  const std::size_t first_nan = values.size();
  for (std::uint32_t bits : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7fbfffffu, 0xffffffffu, 0x7fc0ffffu})
    push_bits(bits);

  std::vector<std::uint16_t> shared_rule, hardware;
  ASSERT_EQ(testing::round_bf16_on_device(values, shared_rule, hardware), cudaSuccess);
  for (std::size_t k = 0; k < values.size(); ++k) {
    // The device evaluates the shared rule exactly as the host does, NaN payloads included.
    ASSERT_EQ(shared_rule[k], bf16_round(values[k])) << "value " << k;
    if (k < first_nan) {
      ASSERT_FALSE(std::isnan(values[k]));
      ASSERT_EQ(shared_rule[k], hardware[k]) << "value " << k << " = " << values[k];
    } else {
      // cvt.rn.bf16.f32 returns the canonical NaN; bf16_round keeps sign and payload. Both are NaN.
      EXPECT_TRUE(std::isnan(bf16_to_float(hardware[k])));
      EXPECT_TRUE(std::isnan(bf16_to_float(shared_rule[k])));
    }
  }
}

// ---- the benchmark arena -----------------------------------------------------------

TEST(CudaDeviceArena, AllocatesFillsCopiesAndTimes) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const auto arena = make_backend("cuda")->make_arena();
  EXPECT_EQ(arena->space(), MemorySpace::device);
  EXPECT_NE(arena->describe().find("write limit"), std::string::npos);
  const std::size_t count = (std::size_t{1} << 22) + 3;  // not a whole number of vectors
  auto* data = static_cast<float*>(arena->allocate(count * sizeof(float)));
  arena->prefault(data, count * sizeof(float));
  arena->fill(data, count, 2.5f);
  const double write = arena->time_write_limit(data, count * sizeof(float));
  EXPECT_GT(write, 0.0);
  arena->fill(data, count, 2.5f);
  const double rmw = arena->time_read_modify_write_limit(data, count);  // two passes: plain and streaming
  EXPECT_GT(rmw, 0.0);
  std::vector<float> host(count);
  arena->copy_to_host(host.data(), data, count * sizeof(float));
  for (std::size_t k = 0; k < count; ++k) ASSERT_EQ(host[k], 4.5f) << "element " << k;
  EXPECT_NE(arena->describe().find("last:"), std::string::npos) << arena->describe();

  const Config config{32, 2, 128};
  const Layout layout = testing::monomer(64, 0);
  const Weights weights = protenix_synthetic_weights(config, 66);
  const Problem problem{config, layout, weights};
  const auto backend = make_backend("cuda");
  const double seconds = arena->time([&] {
    backend->run(problem, PairOutput::write(data, 1, 64, 128, MemorySpace::device));
  });
  EXPECT_GT(seconds, 0.0);
  const auto reference = compute_fp32(*make_backend("onehot"), problem);
  arena->copy_to_host(host.data(), data, reference.size() * sizeof(float));
  EXPECT_TRUE(std::equal(reference.begin(), reference.end(), host.begin()));
  arena->release(data);
}

#endif  // RELPOS_HAVE_CUDA

}  // namespace
}  // namespace relpos
