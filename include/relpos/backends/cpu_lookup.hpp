#pragma once
// The fused CPU lookup: bins computed on the fly, the four weight columns
// summed in the reference's order and written straight into the output.
#include <memory>
#include <string_view>

#include "relpos/backend.hpp"
#include "relpos/pair_output.hpp"

namespace relpos {

std::unique_ptr<Backend> make_cpu_lookup_backend(const BackendOptions& options = {});

/// Bytes the CPU lookup holds beyond the output in `mode` for `batch_tokens`
/// = B * N token rows: the padded W^T table, plus (when it fits its size cap)
/// the pair table of finished sums and 9 bytes of chain-segment data per token.
std::size_t cpu_lookup_workspace_bytes(const Config& config, OutputMode mode, std::int64_t batch_tokens);
/// The instruction set the lookup's kernel runs with here: "avx512bw", "avx2" or "sse2".
std::string_view cpu_lookup_instruction_set();

}  // namespace relpos
