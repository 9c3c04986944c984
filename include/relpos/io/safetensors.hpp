#pragma once
// The safetensors format (huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, optional
// "__metadata__": {string: string}}, then the raw little-endian tensor bytes.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace relpos::io {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  ///< as written: F32, F16, BF16, I64, ...
  std::vector<std::size_t> shape;
  std::uint64_t begin = 0;  ///< data_offsets, relative to the first byte after the header
  std::uint64_t end = 0;
};

/// A floating tensor converted to float32 without rounding.
struct Float32Tensor {
  std::vector<std::size_t> shape;
  std::vector<float> values;
  std::string source_dtype;  ///< the dtype in the file
};

/// Reads and validates the header on construction; tensor data is read on demand.
class SafetensorsFile {
 public:
  /// Throws InputError "FILE: problem" for a file that is not valid safetensors:
  /// short file, header length beyond the file, bad JSON, unknown dtype, a
  /// shape whose byte size disagrees with its data_offsets, offsets outside the data.
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  /// Every tensor, sorted by name.
  const std::vector<SafetensorsEntry>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// nullptr when absent.
  const SafetensorsEntry* find(std::string_view name) const;

  /// F32, F16 and BF16 widen exactly; F64 is accepted only when every value
  /// is exactly a float32 value. Anything else is an InputError.
  Float32Tensor read_float32(std::string_view name) const;

 private:
  std::filesystem::path path_;
  std::uint64_t data_start_ = 0;
  std::vector<SafetensorsEntry> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// Bytes per element of a safetensors dtype; 0 for an unknown name.
std::size_t safetensors_dtype_size(std::string_view dtype);

/// One tensor to write: raw little-endian bytes of `dtype` in row-major order.
struct SafetensorsTensor {
  std::string name;
  std::string dtype;
  std::vector<std::size_t> shape;
  std::vector<unsigned char> bytes;
};

/// Writes atomically; tensors are laid out in name order and the header is
/// padded with spaces to a multiple of 8 bytes (as the reference writer does),
/// so the same content always gives the same bytes. Refuses to replace an
/// existing file unless `overwrite`.
void write_safetensors(const std::filesystem::path& path, std::vector<SafetensorsTensor> tensors,
                       const std::map<std::string, std::string>& metadata, bool overwrite);

/// float32 values as the bytes of an F32 tensor.
std::vector<unsigned char> f32_bytes(const std::vector<float>& values);

}  // namespace relpos::io
