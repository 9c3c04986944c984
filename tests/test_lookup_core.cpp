// The CUDA lookup kernel's code (src/relpos/cuda/lookup_core.hpp), compiled by
// the host compiler and run thread by thread: every block of the persistent
// grid, every thread of each phase, the barrier between them. Needs no GPU.
// Besides the results (bitwise against onehot / cpu), it checks what a GPU
// would punish: every memory access in bounds and aligned to its width, every
// output element stored exactly once, and no thread touching shared memory
// another thread writes between the same two barriers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/compare.hpp"
#include "relpos/cuda/lookup_core.hpp"
#include "relpos/layouts/builtin_layouts.hpp"
#include "relpos/synthetic_weights.hpp"
#include "test_layouts.hpp"
#include "test_weights.hpp"

namespace relpos::cuda::detail {
namespace {

constexpr std::size_t kH200SharedLimit = 232448;  // cudaDevAttrMaxSharedMemoryPerBlockOptin, sm_90
constexpr std::size_t kA100SharedLimit = 166912;  // sm_80

// ---- the access checker --------------------------------------------------------------

struct Region {
  const unsigned char* begin;
  std::size_t bytes;
  std::string name;
};

struct Checker {
  std::vector<Region> regions;
  std::string first_error;
  int thread = -1;
  // Shared memory, per epoch (between two barriers): which thread wrote / read each word (-1 none, -2 several).
  const unsigned char* shared = nullptr;
  std::vector<int> writer, reader;
  // The output: how often each byte was written and read.
  const unsigned char* output = nullptr;
  std::vector<unsigned char> output_writes, output_reads;
  std::int64_t table_reads = 0;
  const unsigned char* table = nullptr;
  std::size_t table_bytes = 0;

  void fail(const std::string& what) {
    if (first_error.empty()) first_error = what;
  }
  void new_epoch() {
    std::fill(writer.begin(), writer.end(), -1);
    std::fill(reader.begin(), reader.end(), -1);
  }
  void access(const void* address, std::size_t bytes, bool write) {
    const auto* p = static_cast<const unsigned char*>(address);
    const std::size_t alignment = std::min<std::size_t>(bytes, 16);
    if (reinterpret_cast<std::uintptr_t>(p) % alignment != 0)
      fail("misaligned " + std::to_string(bytes) + "-byte access by thread " + std::to_string(thread));
    const Region* region = nullptr;
    for (const Region& r : regions)
      if (p >= r.begin && p + bytes <= r.begin + r.bytes) region = &r;
    if (region == nullptr) {
      fail("out-of-bounds " + std::to_string(bytes) + "-byte " + (write ? "write" : "read") + " by thread " +
           std::to_string(thread));
      return;
    }
    if (region->begin == shared) {
      // Every shared access is a whole number of aligned 4-byte words: track words.
      if (bytes % 4 != 0) fail("a shared access of " + std::to_string(bytes) + " bytes");
      for (std::size_t k = 0; k < bytes; k += 4) {
        const std::size_t at = (static_cast<std::size_t>(p - shared) + k) / 4;
        int& w = writer[at];
        int& r = reader[at];
        if (write) {
          if ((w != -1 && w != thread) || (r != -1 && r != thread))
            fail("shared word " + std::to_string(at) + " written by thread " + std::to_string(thread) +
                 " while another thread uses it between the same barriers");
          w = w == -1 || w == thread ? thread : -2;
        } else {
          if (w != -1 && w != thread)
            fail("shared word " + std::to_string(at) + " read by thread " + std::to_string(thread) +
                 " while thread " + std::to_string(w) + " writes it between the same barriers");
          r = r == -1 || r == thread ? thread : -2;
        }
      }
      if (!write && table != nullptr && p >= table && p < table + table_bytes) ++table_reads;
    } else if (region->begin == output) {
      auto& counts = write ? output_writes : output_reads;
      for (std::size_t k = 0; k < bytes; ++k) ++counts[static_cast<std::size_t>(p - output) + k];
    } else if (write) {
      fail("write into the read-only input '" + region->name + "'");
    }
  }
};

Checker* active_checker = nullptr;
void check_access(const void* address, std::size_t bytes, bool write) { active_checker->access(address, bytes, write); }

// ---- the emulated launch ---------------------------------------------------------------

struct Aligned {
  std::unique_ptr<unsigned char, decltype(&std::free)> memory{nullptr, &std::free};
  explicit Aligned(std::size_t bytes)
      : memory(static_cast<unsigned char*>(std::aligned_alloc(256, (bytes + 255) / 256 * 256 + 256)), &std::free) {}
  unsigned char* get() const { return memory.get(); }
};

/// The kernel of lookup.cu on the host: the same lookup_block, with every
/// thread run in turn at each phase and the barrier starting a new epoch.
template <Store kStore, int kVec, bool kShared>
void emulate_grid(const KernelParams& p, int blocks, std::size_t shared_bytes, Checker& checker) {
  Aligned shared(shared_bytes);
  checker.regions.push_back({shared.get(), shared_bytes, "shared"});
  checker.shared = shared.get();
  checker.writer.assign(shared_bytes / 4, -1);
  checker.reader.assign(shared_bytes / 4, -1);
  if (kShared) {
    checker.table = shared.get() + p.hot_bytes;
    checker.table_bytes = shared_bytes - static_cast<std::size_t>(p.hot_bytes);
  }
  for (int block = 0; block < blocks; ++block) {
    std::memset(shared.get(), 0xff, shared_bytes);  // NaN everywhere: unwritten data shows
    checker.new_epoch();
    std::vector<ThreadMemo<kStore, kVec, kShared>> memo(kThreads);
    lookup_block<kStore, kVec, kShared>(
        p, block, blocks, shared.get(),
        [&](auto&& work) {
          for (int thread = 0; thread < kThreads; ++thread) {
            checker.thread = thread;
            work(thread, memo[static_cast<std::size_t>(thread)]);
          }
        },
        [&] { checker.new_epoch(); });
  }
}

using Emulation = void (*)(const KernelParams&, int, std::size_t, Checker&);

template <Store kStore, bool kShared>
Emulation emulation_for(int width) {
  switch (width) {
    case 1: return emulate_grid<kStore, 1, kShared>;
    case 2: return emulate_grid<kStore, 2, kShared>;
    case 4: return emulate_grid<kStore, 4, kShared>;
    default:
      if constexpr (kStore == Store::bf16) return emulate_grid<kStore, 8, kShared>;
      return nullptr;
  }
}

Emulation emulation_for(Store store, int width, bool shared) {
  switch (store) {
    case Store::fp32: return shared ? emulation_for<Store::fp32, true>(width) : emulation_for<Store::fp32, false>(width);
    case Store::bf16: return shared ? emulation_for<Store::bf16, true>(width) : emulation_for<Store::bf16, false>(width);
    case Store::accumulate:
      return shared ? emulation_for<Store::accumulate, true>(width) : emulation_for<Store::accumulate, false>(width);
  }
  return nullptr;
}

struct EmulatedRun {
  Geometry geometry;
  std::vector<unsigned char> output;  ///< the output bytes
  Checker checker;
};

/// Dispatch as lookup.cu does it, then the grid on the host. `offset` elements
/// shift the output from a 256-byte boundary; `blocks` = 0 means one block per tile.
EmulatedRun run_emulated(const Problem& problem, Store store, std::size_t offset, std::size_t shared_limit, bool linear_weights,
                 int blocks, const std::vector<float>& z0 = {}) {
  const Layout& layout = problem.layout;
  const auto count = static_cast<std::size_t>(layout.batch() * layout.tokens());
  const std::size_t element = store == Store::bf16 ? 2 : 4;
  const auto elements = static_cast<std::size_t>(layout.batch() * layout.tokens() * layout.tokens() * problem.config.c_z);
  EmulatedRun run;
  Aligned out(elements * element + offset * element);
  unsigned char* target = out.get() + offset * element;
  if (store == Store::accumulate) std::memcpy(target, z0.data(), elements * sizeof(float));

  const xt::xtensor<float, 2> table = transposed_table(problem.weights);
  DeviceLookupProblem device;
  device.config = problem.config;
  device.ids = {layout.asym_id.data(),     layout.residue_index.data(), layout.entity_id.data(),
                layout.sym_id.data(),      layout.token_index.data(),
                layout.has_periods() ? layout.cyclic_period.data() : nullptr};
  device.any_cyclic = layout.any_cyclic();
  device.weights = linear_weights ? DeviceWeights::linear(problem.weights.data(), problem.config)
                                  : DeviceWeights::transposed(table.data(), problem.config);
  device.batch = layout.batch();
  device.tokens = layout.tokens();
  run.geometry = plan_geometry(problem.config, device.batch, device.tokens, store,
                               reinterpret_cast<std::uintptr_t>(target), shared_limit, false);
  const KernelParams params = make_kernel_params(device, run.geometry, target, true);

  Checker& checker = run.checker;
  checker.regions = {{reinterpret_cast<const unsigned char*>(device.weights.data),
                      problem.weights.size() * sizeof(float), "weights"},
                     {target, elements * element, "output"}};
  for (IdField field : kIdFields)
    checker.regions.push_back({reinterpret_cast<const unsigned char*>(layout.ids(field).data()),
                               count * sizeof(std::int64_t), std::string(to_string(field))});
  if (layout.has_periods())
    checker.regions.push_back({reinterpret_cast<const unsigned char*>(layout.cyclic_period.data()),
                               count * sizeof(std::int64_t), "cyclic_period"});
  checker.output = target;
  checker.output_writes.assign(elements * element, 0);
  checker.output_reads.assign(elements * element, 0);
  active_checker = &checker;
  host_access_check = check_access;
  if (run.geometry.tiles > 0) {
    const int grid = blocks > 0 ? static_cast<int>(std::min<std::int64_t>(blocks, run.geometry.tiles))
                                : static_cast<int>(run.geometry.tiles);
    emulation_for(store, run.geometry.vector_width, run.geometry.table_in_shared)(params, grid,
                                                                                  run.geometry.shared_bytes, checker);
  }
  host_access_check = nullptr;
  active_checker = nullptr;
  run.output.assign(target, target + elements * element);
  return run;
}

using relpos::testing::wide_range_weights;

using relpos::testing::chains;

/// Emulates every mode and checks results, coverage and the checker's findings.
void check_all_modes(const Problem& problem, std::size_t offset, std::size_t shared_limit, bool linear_weights,
                     int blocks, bool expect_shared_table) {
  const auto reference = compute_fp32(*make_backend("cpu"), problem);  // cpu == onehot bitwise (test_backends)
  const std::size_t n = reference.size();
  std::vector<float> z0(n);
  for (std::size_t k = 0; k < n; ++k) z0[k] = std::ldexp(static_cast<float>(k % 89) - 44.0f, -3);

  for (Store store : {Store::fp32, Store::bf16, Store::accumulate}) {
    SCOPED_TRACE(::testing::Message() << "store=" << int(store) << " offset=" << offset << " limit=" << shared_limit
                                      << " linear=" << linear_weights << " blocks=" << blocks);
    const EmulatedRun run = run_emulated(problem, store, offset, shared_limit, linear_weights, blocks, z0);
    EXPECT_EQ(run.geometry.table_in_shared, expect_shared_table);
    ASSERT_EQ(run.checker.first_error, "");
    for (std::size_t b = 0; b < run.output.size(); ++b) {
      ASSERT_EQ(run.checker.output_writes[b], 1) << "output byte " << b << " stored " << int(run.checker.output_writes[b]) << " times";
      ASSERT_EQ(run.checker.output_reads[b], store == Store::accumulate ? 1 : 0) << "output byte " << b;
    }
    for (std::size_t k = 0; k < n; ++k) {
      const float expected = reference.data()[k];
      if (store == Store::fp32) {
        float got;
        std::memcpy(&got, run.output.data() + 4 * k, 4);
        ASSERT_EQ(got, expected) << "fp32 element " << k;
      } else if (store == Store::bf16) {
        bf16_bits got;
        std::memcpy(&got, run.output.data() + 2 * k, 2);
        ASSERT_EQ(got, bf16_round(expected)) << "bf16 element " << k;
      } else {
        float got;
        std::memcpy(&got, run.output.data() + 4 * k, 4);
        ASSERT_EQ(got, z0[k] + expected) << "accumulate element " << k;
      }
    }
  }
}

// ---- geometry ----------------------------------------------------------------------------

TEST(LookupCoreOnHost, GeometryForTheDefaultConfig) {
  const Config config{32, 2, 128};
  const Geometry fp32 = plan_geometry(config, 1, 4096, Store::fp32, 256, kH200SharedLimit, false);
  EXPECT_EQ(fp32.vector_width, 4);
  EXPECT_EQ(fp32.lanes, 32);  // one warp per pair: 512 contiguous bytes per warp store
  EXPECT_EQ(fp32.step, 16);
  EXPECT_EQ(fp32.tile_pairs, 256);
  EXPECT_EQ(fp32.tiles, 4096 * 16);
  EXPECT_TRUE(fp32.table_in_shared);
  EXPECT_EQ(fp32.table_bytes, std::size_t{140 * 128 * 4});  // W^T and the -0.0f row
  EXPECT_EQ(fp32.shared_bytes, fp32.table_bytes + 2 * 256 * 8);
  // Three such blocks fit one H200 SM's 228 KB (1 KB reserved per block), two an A100's 164 KB.
  EXPECT_LE(3 * (fp32.shared_bytes + 1024), std::size_t{233472});
  EXPECT_TRUE(plan_geometry(config, 1, 4096, Store::fp32, 256, kA100SharedLimit, false).table_in_shared);

  const Geometry bf16 = plan_geometry(config, 1, 4096, Store::bf16, 256, kH200SharedLimit, false);
  EXPECT_EQ(bf16.vector_width, 8);  // 8 bf16 = one 16-byte store
  EXPECT_EQ(bf16.lanes, 16);
  EXPECT_EQ(plan_geometry(config, 1, 4096, Store::fp32, 260, kH200SharedLimit, false).vector_width, 1);
  EXPECT_EQ(plan_geometry(config, 1, 4096, Store::fp32, 264, kH200SharedLimit, false).vector_width, 2);
  EXPECT_FALSE(plan_geometry(config, 1, 4096, Store::fp32, 256, kH200SharedLimit, true).table_in_shared);
  EXPECT_FALSE(plan_geometry(Config{600, 2, 128}, 1, 64, Store::fp32, 256, kH200SharedLimit, false).table_in_shared);
}

TEST(LookupCoreOnHost, GeometryForOddChannelCounts) {
  for (std::int32_t c_z : {1, 3, 5, 17, 33, 129, 2052, 4100}) {
    const Geometry g = plan_geometry(Config{4, 1, c_z}, 2, 37, Store::fp32, 256, kH200SharedLimit, false);
    EXPECT_EQ(c_z % g.vector_width, 0);
    EXPECT_EQ(g.vectors * g.vector_width, c_z);
    EXPECT_LE(g.lanes * g.step, kThreads);
    EXPECT_LE(g.tile_pairs, kThreads);
    EXPECT_GE(g.tile_pairs, 1);
    EXPECT_EQ(g.tiles, 2 * 37 * ((37 + g.tile_pairs - 1) / g.tile_pairs));
  }
}

// ---- the kernel, emulated -----------------------------------------------------------------

struct CoreCase {
  std::string name;
  Config config;
  Layout layout;
  std::vector<std::size_t> offsets = {0, 1, 2, 4};  ///< output shifts (elements) to try
};

void PrintTo(const CoreCase& c, std::ostream* os) { *os << c.name; }

std::vector<CoreCase> core_cases() {
  std::vector<CoreCase> all;
  all.push_back({"default_two_tiles", Config{32, 2, 128}, chains({200, 57, 3}), {0, 1}});  // 8.7 M elements
  all.push_back({"single_token", Config{32, 2, 128}, relpos::testing::monomer(1, 0)});
  all.push_back({"ligand_complex", Config{4, 2, 17}, relpos::testing::protein_with_ligand()});
  all.push_back({"modified_residue_gap", Config{3, 2, 5}, relpos::testing::modified_residue_with_gap()});
  all.push_back({"r_max_zero", Config{0, 0, 3}, relpos::testing::homomer(2, 5)});
  all.push_back({"batched", Config{5, 2, 33}, relpos::testing::batch_of_three()});
  all.push_back({"c_z_1", Config{6, 2, 1}, chains({300, 301})});
  all.push_back({"c_z_2", Config{6, 2, 2}, chains({23, 31, 1, 12})});
  all.push_back({"c_z_6", Config{6, 2, 6}, chains({23, 31, 1, 12})});
  all.push_back({"c_z_129", Config{6, 2, 129}, chains({23, 31, 1, 12})});
  all.push_back({"paper_variant", Config{4, 1, 20, Variant::paper}, relpos::testing::homomer(3, 6)});
  all.push_back({"wide_pairs", Config{2, 1, 2052}, relpos::testing::homomer(2, 3)});
  // The regimes (the table rounded as it is loaded, each sum before its store) and the Boltz wrap.
  using enum Precision;
  all.push_back({"bf16_regime", Config{32, 2, 64, Variant::af3, Cyclic::none, bf16}, chains({40, 9, 2})});
  all.push_back({"autocast", Config{32, 2, 128, Variant::af3, Cyclic::none, bf16_autocast}, chains({70, 3})});
  all.push_back({"autocast_wide_pairs", Config{2, 1, 2052, Variant::af3, Cyclic::none, bf16_autocast},
                 relpos::testing::homomer(2, 3)});
  all.push_back({"cyclic_peptides", Config{32, 2, 24, Variant::af3, Cyclic::boltz, fp32}, builtin_layout("cyclic_peptides")});
  all.push_back({"cyclic_ties_autocast", Config{4, 2, 8, Variant::af3, Cyclic::boltz, bf16_autocast},
                 builtin_layout("cyclic_ties")});
  all.push_back({"cyclic_huge_paper", Config{32, 2, 4, Variant::paper, Cyclic::boltz, bf16},
                 builtin_layout("cyclic_huge_numbering")});
  all.push_back({"cyclic_batch", Config{32, 2, 16, Variant::af3, Cyclic::boltz, fp32}, builtin_layout("cyclic_batch")});
  return all;
}

class LookupCoreEveryCase : public ::testing::TestWithParam<CoreCase> {};

TEST_P(LookupCoreEveryCase, SharedTableEveryAlignment) {
  const CoreCase& c = GetParam();
  const Weights weights = wide_range_weights(c.config, 71);
  const Problem problem{c.config, c.layout, weights};
  for (std::size_t offset : c.offsets) check_all_modes(problem, offset, kH200SharedLimit, false, 3, true);
}

TEST_P(LookupCoreEveryCase, GlobalTableAndLinearWeights) {
  const CoreCase& c = GetParam();
  const Weights weights = wide_range_weights(c.config, 72);
  const Problem problem{c.config, c.layout, weights};
  check_all_modes(problem, 0, 0, true, 0, false);  // no shared memory for the table
  check_all_modes(problem, 0, kA100SharedLimit, true, 5, true);
}

INSTANTIATE_TEST_SUITE_P(Cases, LookupCoreEveryCase, ::testing::ValuesIn(core_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(LookupCoreOnHost, TheMemoSavesMostTableReads) {
  // A 300-residue chain: a pair needs new rows only inside the clip window
  // |i - j| <= 32 (about 65 / 300 = 22% of pairs) or where a thread's run of
  // equal rows starts. The memo is what keeps the shared-memory traffic far
  // below the output's; this guards the design, not a timing.
  const Config config{32, 2, 128};
  const Layout layout = chains({300});
  const Weights weights = protenix_synthetic_weights(config, 73);
  const EmulatedRun run = run_emulated(Problem{config, layout, weights}, Store::fp32, 0, kH200SharedLimit, false, 4);
  ASSERT_EQ(run.checker.first_error, "");
  const std::int64_t without_memo = 300 * 300 * 32 * 4;  // pairs x vectors x four terms
  EXPECT_GT(run.checker.table_reads, 0);
  EXPECT_LT(run.checker.table_reads, without_memo * 3 / 10) << run.checker.table_reads << " of " << without_memo;
}

}  // namespace
}  // namespace relpos::cuda::detail
