#include <atomic>
#include "relpos/bench/host_arena.hpp"

#include "relpos/backends/registry.hpp"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "relpos/errors.hpp"
#include "relpos/system.hpp"

namespace relpos::bench {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kPage = 4096;

// Plain loop on purpose: the limit is what the compiler makes of `z[k] += 1`,
// cloned per ISA so it is vectorised as widely as the lookup's own kernels.
__attribute__((target_clones("avx512f", "avx2", "default"))) void add_one(float* z, std::size_t count) {
  for (std::size_t k = 0; k < count; ++k) z[k] += 1.0f;
}

// bf16 1.0 in every 16-bit lane: non-zero, so no zero-fill shortcut applies.
__attribute__((target_clones("avx512f", "avx2", "default"))) void store_pattern(std::uint16_t* target,
                                                                                 std::size_t count) {
  for (std::size_t k = 0; k < count; ++k) target[k] = 0x3f80;
}

// Sixteen independent partial sums: the compiler vectorises them without
// reordering any one sum, so one read of the data is all the loop costs.
__attribute__((target_clones("avx512f", "avx2", "default"))) float sum_all(const float* data, std::size_t count) {
  float partial[16] = {};
  std::size_t k = 0;
  for (; k + 16 <= count; k += 16)
    for (std::size_t lane = 0; lane < 16; ++lane) partial[lane] += data[k + lane];
  for (; k < count; ++k) partial[0] += data[k];
  float total = 0;
  for (float p : partial) total += p;
  return total;
}

}  // namespace

ByteRange partition_range(std::size_t bytes, std::size_t unit, std::size_t workers, std::size_t w) {
  const std::size_t rows = bytes / unit;
  ByteRange range{rows * w / workers * unit, rows * (w + 1) / workers * unit};
  if (w + 1 == workers) range.end = bytes;
  return range;
}

std::size_t partition_workers(int threads, std::size_t bytes, std::size_t unit) {
  const std::size_t wanted = static_cast<std::size_t>(threads > 0 ? threads : usable_cores());
  return std::clamp<std::size_t>(wanted, 1, std::max<std::size_t>(1, bytes / unit));
}

void for_each_part(void* data, std::size_t bytes, std::size_t unit, int threads,
                   const std::function<void(std::byte* begin, std::byte* end)>& part) {
  auto* base = static_cast<std::byte*>(data);
  const std::size_t workers = partition_workers(threads, bytes, unit);
  auto run = [&](std::size_t w) {
    const ByteRange range = partition_range(bytes, unit, workers, w);
    if (range.end > range.begin) part(base + range.begin, base + range.end);
  };
  std::vector<std::jthread> pool;
  pool.reserve(workers - 1);
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back([&run, w] { run(w); });
  run(0);
}

HostArena::HostArena(int threads) : threads_(threads) {}

HostArena::~HostArena() {
  for (auto& [data, mapping] : mappings_) ::munmap(mapping.base, mapping.length);
}

std::string HostArena::describe() const {
  const int threads = threads_ > 0 ? threads_ : usable_cores();
  return fmt::format("host, {} thread{} of {} cores", threads, threads == 1 ? "" : "s", usable_cores());
}

void* HostArena::allocate(std::size_t bytes) {
  // Over-map by one huge page so the block can start on a 2 MiB boundary: the
  // kernel can then back it with transparent huge pages (one fault per 2 MiB).
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + kPage - 1) / kPage * kPage;
  const std::size_t length = rounded + kHugePage;
  void* base = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED)
    throw RuntimeFailure(fmt::format("host arena: cannot map {} bytes: {}", bytes, std::strerror(errno)));
  const auto address = reinterpret_cast<std::uintptr_t>(base);
  auto* aligned = reinterpret_cast<void*>((address + kHugePage - 1) / kHugePage * kHugePage);
  // Advice only: without THP (or with it disabled) the block still works with 4 KiB pages.
  ::madvise(aligned, rounded, MADV_HUGEPAGE);
  mappings_[aligned] = Mapping{base, length};
  return aligned;
}

void HostArena::release(void* data) {
  const auto found = mappings_.find(data);
  if (found == mappings_.end()) throw RuntimeFailure("host arena: release of memory it did not allocate");
  ::munmap(found->second.base, found->second.length);
  mappings_.erase(found);
}

void HostArena::prefault(void* data, std::size_t bytes) {
  // One write per 4 KiB page, by the thread that will later write that part.
  for_each_part(data, bytes, unit_, threads_, [](std::byte* begin, std::byte* end) {
    for (std::byte* page = begin; page < end; page += kPage)
      *reinterpret_cast<volatile std::byte*>(page) = std::byte{0};
    if (end > begin) *reinterpret_cast<volatile std::byte*>(end - 1) = std::byte{0};
  });
}

void HostArena::fill(float* data, std::size_t count, float value) {
  for_each_part(data, count * sizeof(float), float_unit(), threads_, [value](std::byte* begin, std::byte* end) {
    std::fill(reinterpret_cast<float*>(begin), reinterpret_cast<float*>(end), value);
  });
}

void HostArena::copy_to_host(void* host, const void* data, std::size_t bytes) { std::memcpy(host, data, bytes); }

double HostArena::time(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return seconds_since(start);
}

double HostArena::time_write_limit(void* data, std::size_t bytes) {
  return time([&] {
    for_each_part(data, bytes, unit_, threads_, [](std::byte* begin, std::byte* end) {
      std::memset(begin, 0, static_cast<std::size_t>(end - begin));
    });
  });
}

double HostArena::time_read_modify_write_limit(float* data, std::size_t count) {
  return time([&] {
    for_each_part(data, count * sizeof(float), float_unit(), threads_, [](std::byte* begin, std::byte* end) {
      add_one(reinterpret_cast<float*>(begin), static_cast<std::size_t>(end - begin) / sizeof(float));
    });
  });
}

double HostArena::time_read_limit(const float* data, std::size_t count) {
  std::atomic<float> sink = 0;
  const double seconds = time([&] {
    for_each_part(const_cast<float*>(data), count * sizeof(float), float_unit(), threads_,
                  [&](std::byte* begin, std::byte* end) {
                    const float part = sum_all(reinterpret_cast<const float*>(begin),
                                               static_cast<std::size_t>(end - begin) / sizeof(float));
                    sink.store(part, std::memory_order_relaxed);  // keeps the sum from being optimised away
                  });
  });
  return seconds;
}

double HostArena::time_store_loop(void* data, std::size_t bytes) {
  return time([&] {
    for_each_part(data, bytes, unit_, threads_, [](std::byte* begin, std::byte* end) {
      const auto length = static_cast<std::size_t>(end - begin);
      store_pattern(reinterpret_cast<std::uint16_t*>(begin), length / 2);
      if (length % 2 != 0) end[-1] = std::byte{0x3f};
    });
  });
}

std::unique_ptr<Arena> make_arena(MemorySpace space, int threads) {
  if (space == MemorySpace::host) return std::make_unique<HostArena>(threads);
  // Device memory belongs to a backend: the first available one that writes there provides its arena.
  std::string why;
  for (const BackendEntry& entry : registered_backends()) {
    const auto backend = entry.make({});
    if (backend->native_space() != space) continue;
    const Availability availability = backend->availability();
    if (availability.available) return backend->make_arena();
    why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", entry.name, availability.detail);
  }
  throw RuntimeFailure(fmt::format("no device arena here ({})", why.empty() ? "no device backend registered" : why));
}

}  // namespace relpos::bench
