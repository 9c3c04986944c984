#pragma once
// The row loop of the CPU lookup, compiled once per SIMD architecture
// (cpu_lookup_kernel_<arch>.cpp) and chosen at run time by xsimd::dispatch.
#include <cstdint>

#include "relpos/bins.hpp"
#include "relpos/pair_output.hpp"

namespace relpos::detail {

struct LookupRows {
  BinParams params;
  std::int64_t tokens = 0;
  std::int64_t channels = 0;
  const float* table = nullptr;    ///< W^T [F, table_stride], 64-byte aligned rows
  std::int64_t table_stride = 0;   ///< floats per table row, a multiple of 16
  const std::int64_t* asym_id = nullptr;        ///< [B, N] each
  const std::int64_t* residue_index = nullptr;
  const std::int64_t* entity_id = nullptr;
  const std::int64_t* sym_id = nullptr;
  const std::int64_t* token_index = nullptr;
  OutputMode mode = OutputMode::write_fp32;
  void* out = nullptr;             ///< [B, N, N, channels]
  bool streaming = false;          ///< non-temporal stores; requires aligned vectors
  std::int64_t row_begin = 0;      ///< rows of the flattened (b, i) index
  std::int64_t row_end = 0;
};

struct LookupKernel {
  template <class Arch>
  void operator()(Arch, const LookupRows& rows) const;
};

}  // namespace relpos::detail
