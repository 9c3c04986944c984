#pragma once
// The original path: materialise one-hot feature rows, multiply by W^T.
#include <memory>

#include "relpos/backend.hpp"

namespace relpos {

enum class OnehotForm {
  sequential,  ///< adds the F products of each output in column order: the bitwise reference
  blas,        ///< one OpenBLAS sgemm per block, as PyTorch CPU runs F.linear
};

std::unique_ptr<Backend> make_onehot_backend(OnehotForm form, const BackendOptions& options = {});

/// Bytes the onehot path holds beyond the output while it runs: the feature
/// block [rows, F] fp32, plus an fp32 block [rows, c_z] in bf16/accumulate
/// modes and the bf16 regimes, plus BLAS's bf16-rounded copy of W under autocast.
std::size_t onehot_workspace_bytes(std::int64_t total_rows, std::int64_t chunk_rows, std::int64_t feature_width,
                                   std::int64_t channels, OutputMode mode, Precision precision = Precision::fp32,
                                   OnehotForm form = OnehotForm::sequential);

}  // namespace relpos
