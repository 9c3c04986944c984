#include "relpos/io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "relpos/errors.hpp"
#include "relpos/io/atomic_file.hpp"
#include "relpos/io/hdf5_file.hpp"
#include "relpos/bf16.hpp"
#include "relpos/io/shape_text.hpp"

namespace relpos::io {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; so is this reader");

// The reference implementation refuses larger headers too.
constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;

float float_from_f16(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1fu;
  const std::uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float32
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

}  // namespace

std::size_t safetensors_dtype_size(std::string_view dtype) {
  if (dtype == "BOOL" || dtype == "U8" || dtype == "I8" || dtype == "F8_E5M2" || dtype == "F8_E4M3") return 1;
  if (dtype == "I16" || dtype == "U16" || dtype == "F16" || dtype == "BF16") return 2;
  if (dtype == "I32" || dtype == "U32" || dtype == "F32") return 4;
  if (dtype == "I64" || dtype == "U64" || dtype == "F64") return 8;
  return 0;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : path_(path) {
  const auto fail = [&](const std::string& problem) -> void {
    throw InputError(fmt::format("{}: {}", path.string(), problem));
  };
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) fail("no such file");
  const std::uint64_t file_size = std::filesystem::file_size(path, error);
  if (error) fail("cannot be read (" + error.message() + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot be read");
  if (file_size < 8) fail(fmt::format("not a safetensors file: {} bytes, too short for the 8-byte header length", file_size));
  unsigned char length_bytes[8];
  in.read(reinterpret_cast<char*>(length_bytes), 8);
  std::uint64_t header_bytes = 0;
  for (int k = 7; k >= 0; --k) header_bytes = (header_bytes << 8) | length_bytes[k];
  if (header_bytes > kMaxHeaderBytes || header_bytes > file_size - 8)
    fail(fmt::format("not a safetensors file: header length {} exceeds the {} bytes that follow it", header_bytes,
                     file_size - 8));
  std::string header_text(header_bytes, '\0');
  in.read(header_text.data(), static_cast<std::streamsize>(header_bytes));
  if (!in) fail("cannot read the header");
  data_start_ = 8 + header_bytes;
  const std::uint64_t data_size = file_size - data_start_;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const nlohmann::json::parse_error& e) {
    std::string message = e.what();
    if (const auto close = message.find("] "); message.starts_with("[json.exception") && close != std::string::npos)
      message = message.substr(close + 2);
    fail("not a safetensors file: header is not valid JSON (" + message + ")");
  }
  if (!header.is_object()) fail("not a safetensors file: header is not a JSON object");

  for (const auto& [name, value] : header.items()) {
    const std::string where = fmt::format("tensor '{}'", name);
    if (name == "__metadata__") {
      if (!value.is_object()) fail("__metadata__ is not an object of strings");
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string()) fail(fmt::format("__metadata__ '{}' is not a string", key));
        metadata_[key] = text.get<std::string>();
      }
      continue;
    }
    if (!value.is_object()) fail(where + ": entry is not an object");
    SafetensorsEntry entry;
    entry.name = name;
    const auto dtype = value.find("dtype");
    if (dtype == value.end() || !dtype->is_string()) fail(where + ": missing string 'dtype'");
    entry.dtype = dtype->get<std::string>();
    const std::size_t element_bytes = safetensors_dtype_size(entry.dtype);
    if (element_bytes == 0) fail(fmt::format("{}: unknown dtype '{}'", where, entry.dtype));
    const auto shape = value.find("shape");
    if (shape == value.end() || !shape->is_array()) fail(where + ": missing array 'shape'");
    std::uint64_t elements = 1;
    for (const auto& extent : *shape) {
      if (!extent.is_number_unsigned() && !(extent.is_number_integer() && extent.get<std::int64_t>() >= 0))
        fail(where + ": 'shape' holds a value that is not a non-negative integer");
      const auto n = extent.get<std::uint64_t>();
      if (n != 0 && elements > std::numeric_limits<std::uint64_t>::max() / n / element_bytes)
        fail(where + ": 'shape' is too large");
      elements *= n;
      entry.shape.push_back(static_cast<std::size_t>(n));
    }
    const auto offsets = value.find("data_offsets");
    if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
      fail(where + ": 'data_offsets' is not a pair of non-negative integers");
    entry.begin = (*offsets)[0].get<std::uint64_t>();
    entry.end = (*offsets)[1].get<std::uint64_t>();
    if (entry.begin > entry.end) fail(fmt::format("{}: data_offsets [{}, {}] run backwards", where, entry.begin, entry.end));
    if (entry.end > data_size)
      fail(fmt::format("{}: data_offsets [{}, {}] reach beyond the {} data bytes in the file (truncated?)", where,
                       entry.begin, entry.end, data_size));
    if (entry.end - entry.begin != elements * element_bytes)
      fail(fmt::format("{}: shape {} of {} needs {} bytes but data_offsets [{}, {}] hold {}", where,
                       shape_text(entry.shape), entry.dtype, elements * element_bytes, entry.begin, entry.end,
                       entry.end - entry.begin));
    tensors_.push_back(std::move(entry));
  }

  // As the reference reader insists: the tensors tile the data exactly, without holes or overlaps.
  std::vector<const SafetensorsEntry*> by_offset;
  for (const auto& entry : tensors_) by_offset.push_back(&entry);
  std::sort(by_offset.begin(), by_offset.end(), [](const SafetensorsEntry* a, const SafetensorsEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t covered = 0;
  for (const SafetensorsEntry* entry : by_offset) {
    if (entry->begin != covered)
      fail(fmt::format("tensor '{}': data_offsets start at {} but the previous tensor ends at {} ({})", entry->name,
                       entry->begin, covered, entry->begin < covered ? "overlap" : "hole"));
    covered = entry->end;
  }
  if (covered != data_size)
    fail(fmt::format("the tensors cover {} data bytes but the file holds {} after the header", covered, data_size));
  std::sort(tensors_.begin(), tensors_.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
}

const SafetensorsEntry* SafetensorsFile::find(std::string_view name) const {
  const auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                                   [](const SafetensorsEntry& entry, std::string_view key) { return entry.name < key; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

Float32Tensor SafetensorsFile::read_float32(std::string_view name) const {
  const SafetensorsEntry* entry = find(name);
  if (entry == nullptr) throw InputError(fmt::format("{}: no tensor '{}'", path_.string(), name));
  const auto fail = [&](const std::string& problem) -> void {
    throw InputError(fmt::format("{}: tensor '{}': {}", path_.string(), name, problem));
  };
  if (entry->dtype != "F32" && entry->dtype != "F16" && entry->dtype != "BF16" && entry->dtype != "F64")
    fail(fmt::format("dtype {} is not a floating-point weight (expected F32, F16 or BF16)", entry->dtype));
  std::vector<unsigned char> bytes(entry->end - entry->begin);
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(data_start_ + entry->begin));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) fail("cannot read its data (file changed or truncated?)");

  Float32Tensor tensor;
  tensor.shape = entry->shape;
  tensor.source_dtype = entry->dtype;
  const std::size_t count = bytes.size() / safetensors_dtype_size(entry->dtype);
  tensor.values.resize(count);
  for (std::size_t k = 0; k < count; ++k) {
    if (entry->dtype == "F32") {
      std::memcpy(&tensor.values[k], bytes.data() + 4 * k, 4);
    } else if (entry->dtype == "F64") {
      double value = 0;
      std::memcpy(&value, bytes.data() + 8 * k, 8);
      const auto narrow = static_cast<float>(value);
      if (!std::isnan(value) && static_cast<double>(narrow) != value)
        fail(fmt::format("F64 element {} = {:.17g} is not exactly a float32 value (refusing to round)", k, value));
      tensor.values[k] = narrow;
    } else {
      std::uint16_t half = 0;
      std::memcpy(&half, bytes.data() + 2 * k, 2);
      tensor.values[k] = entry->dtype == "F16" ? float_from_f16(half) : bf16_to_float(half);
    }
  }
  return tensor;
}

std::vector<unsigned char> f32_bytes(const std::vector<float>& values) {
  std::vector<unsigned char> bytes(values.size() * 4);
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

void write_safetensors(const std::filesystem::path& path, std::vector<SafetensorsTensor> tensors,
                       const std::map<std::string, std::string>& metadata, bool overwrite) {
  io::refuse_existing(path, overwrite ? io::Overwrite::allow : io::Overwrite::refuse);
  std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  nlohmann::json header = nlohmann::json::object();  // std::map-backed: keys come out sorted
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const SafetensorsTensor& tensor : tensors) {
    if (tensor.name == "__metadata__") throw InputError("a tensor may not be named __metadata__");
    const std::size_t element_bytes = safetensors_dtype_size(tensor.dtype);
    if (element_bytes == 0) throw InputError(fmt::format("tensor '{}': unknown dtype '{}'", tensor.name, tensor.dtype));
    std::size_t elements = 1;
    for (std::size_t extent : tensor.shape) elements *= extent;
    if (elements * element_bytes != tensor.bytes.size())
      throw InputError(fmt::format("tensor '{}': shape {} of {} needs {} bytes, got {}", tensor.name,
                                   shape_text(tensor.shape), tensor.dtype, elements * element_bytes,
                                   tensor.bytes.size()));
    header[tensor.name] = {{"dtype", tensor.dtype},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + tensor.bytes.size()}}};
    offset += tensor.bytes.size();
  }
  std::string header_text = header.dump();
  header_text.resize((header_text.size() + 7) / 8 * 8, ' ');
  const io::Overwrite policy = overwrite ? io::Overwrite::allow : io::Overwrite::refuse;
  io::write_atomically(path, policy, [&](const std::filesystem::path& temporary) {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(fmt::format("{}: cannot be created", path.string()));
    unsigned char length_bytes[8];
    std::uint64_t length = header_text.size();
    for (unsigned char& byte : length_bytes) {
      byte = static_cast<unsigned char>(length & 0xffu);
      length >>= 8;
    }
    out.write(reinterpret_cast<const char*>(length_bytes), 8);
    out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
    for (const SafetensorsTensor& tensor : tensors)
      out.write(reinterpret_cast<const char*>(tensor.bytes.data()), static_cast<std::streamsize>(tensor.bytes.size()));
    out.close();
    if (!out) throw InputError(fmt::format("{}: cannot be written", path.string()));
  });
}

}  // namespace relpos::io
