#pragma once
// Caller-provided memory a backend writes the pair tensor [B, N, N, c_z] into.
// Backends never allocate anything N x N themselves.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <xtensor/xtensor.hpp>

#include "relpos/bf16.hpp"

namespace relpos {

enum class OutputMode {
  write_fp32,  ///< out = p
  write_bf16,  ///< out = bf16(p): fp32 sum of the terms, one final rounding
  accumulate,  ///< out += p in fp32 (Protenix's z_init += relpos)
};

std::string_view to_string(OutputMode mode);
/// "fp32", "bf16", "accumulate"; throws InputError otherwise.
OutputMode parse_output_mode(std::string_view name);

/// Where the memory lives: backends check it matches what they can address.
enum class MemorySpace { host, device };

struct PairOutput {
  OutputMode mode = OutputMode::write_fp32;
  MemorySpace space = MemorySpace::host;
  void* data = nullptr;
  std::int64_t batch = 0;
  std::int64_t tokens = 0;
  std::int64_t channels = 0;

  std::int64_t elements() const { return batch * tokens * tokens * channels; }
  std::size_t element_bytes() const { return mode == OutputMode::write_bf16 ? 2 : 4; }
  std::size_t bytes() const { return static_cast<std::size_t>(elements()) * element_bytes(); }
  float* fp32() const { return static_cast<float*>(data); }
  bf16_bits* bf16() const { return static_cast<bf16_bits*>(data); }

  static PairOutput write(float* data, std::int64_t batch, std::int64_t tokens, std::int64_t channels,
                          MemorySpace space = MemorySpace::host);
  static PairOutput write_bf16(bf16_bits* data, std::int64_t batch, std::int64_t tokens, std::int64_t channels,
                               MemorySpace space = MemorySpace::host);
  static PairOutput accumulate(float* data, std::int64_t batch, std::int64_t tokens, std::int64_t channels,
                               MemorySpace space = MemorySpace::host);

  /// Views of xtensor containers shaped [B, N, N, c_z].
  static PairOutput write(xt::xtensor<float, 4>& out);
  static PairOutput write_bf16(xt::xtensor<bf16_bits, 4>& out);
  static PairOutput accumulate(xt::xtensor<float, 4>& out);
};

}  // namespace relpos
