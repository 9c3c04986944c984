#pragma once
// The compact, lossless encoding of an expected output (fixture format v1,
// optional part): pair (b, i, j) -> class index, plus the table of distinct
// output rows. A pair's output row depends only on its four bins, so a layout
// of N tokens has few distinct rows however large N is.
#include <cstdint>
#include <span>
#include <vector>

namespace relpos::io {

struct ClassMap {
  std::vector<std::int32_t> classes;  ///< one per pair, row-major [B, N, N]
  std::vector<float> rows;            ///< [K, c_z], K distinct rows in order of first appearance
  std::size_t channels = 0;
  std::size_t row_count() const { return channels == 0 ? 0 : rows.size() / channels; }
};

/// Rows are told apart by their bits (+0 and -0, NaN payloads: all kept), so
/// decoding gives back exactly the same bytes.
ClassMap encode_class_map(std::span<const float> output, std::size_t channels);

/// Writes rows[classes[p]] into out[p * channels ...]; returns the position of
/// the first class index outside [0, K), or -1 when all are valid (out is then complete).
std::int64_t decode_class_map(std::span<const std::int64_t> classes, std::span<const float> rows, std::size_t channels,
                              std::span<float> out);

}  // namespace relpos::io
