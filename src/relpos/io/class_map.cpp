#include "relpos/io/class_map.hpp"

#include <cstring>
#include <limits>
#include <stdexcept>
#include <unordered_map>

namespace relpos::io {
namespace {

std::uint64_t row_hash(const float* row, std::size_t channels) {
  std::uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a over 32-bit words
  for (std::size_t c = 0; c < channels; ++c) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, row + c, 4);
    hash = (hash ^ bits) * 0x100000001b3ull;
  }
  return hash;
}

}  // namespace

ClassMap encode_class_map(std::span<const float> output, std::size_t channels) {
  ClassMap map;
  map.channels = channels;
  if (channels == 0) throw std::invalid_argument("encode_class_map: zero channels");
  const std::size_t pairs = output.size() / channels;
  map.classes.resize(pairs);
  std::unordered_multimap<std::uint64_t, std::int32_t> seen;
  for (std::size_t p = 0; p < pairs; ++p) {
    const float* row = output.data() + p * channels;
    const std::uint64_t hash = row_hash(row, channels);
    std::int32_t found = -1;
    const auto [first, last] = seen.equal_range(hash);
    for (auto it = first; it != last && found < 0; ++it)
      if (std::memcmp(map.rows.data() + static_cast<std::size_t>(it->second) * channels, row, channels * 4) == 0)
        found = it->second;
    if (found < 0) {
      const std::size_t index = map.row_count();
      if (index >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
        throw std::length_error("encode_class_map: more than 2^31 distinct rows");
      found = static_cast<std::int32_t>(index);
      map.rows.insert(map.rows.end(), row, row + channels);
      seen.emplace(hash, found);
    }
    map.classes[p] = found;
  }
  return map;
}

std::int64_t decode_class_map(std::span<const std::int64_t> classes, std::span<const float> rows, std::size_t channels,
                              std::span<float> out) {
  const auto count = static_cast<std::int64_t>(channels == 0 ? 0 : rows.size() / channels);
  for (std::size_t p = 0; p < classes.size(); ++p) {
    const std::int64_t k = classes[p];
    if (k < 0 || k >= count) return static_cast<std::int64_t>(p);
    std::memcpy(out.data() + p * channels, rows.data() + static_cast<std::size_t>(k) * channels, channels * 4);
  }
  return -1;
}

}  // namespace relpos::io
