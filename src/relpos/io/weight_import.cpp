#include "relpos/io/weight_import.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "relpos/errors.hpp"
#include "relpos/io/hdf5_file.hpp"
#include "relpos/io/safetensors.hpp"
#include "relpos/io/sha256.hpp"
#include "relpos/io/shape_text.hpp"

namespace relpos {
namespace {

using io::shape_text;

constexpr std::array<std::string_view, 3> kKnownKeys = {
    "relative_position_encoding.linear_no_bias.weight",                    // Protenix / PXDesign trunk
    "diffusion_module.diffusion_conditioning.relpe.linear_no_bias.weight",  // Protenix diffusion copy
    "rel_pos.linear_layer.weight",                                          // Boltz-1 / Boltz-2
};

enum class FileKind { hdf5, safetensors, torch_zip, torch_pickle, unknown };

FileKind sniff(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 8> head{};
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  const auto got = static_cast<std::size_t>(in.gcount());
  static constexpr std::array<unsigned char, 8> kHdf5 = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (got == 8 && head == kHdf5) return FileKind::hdf5;
  if (got >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return FileKind::torch_zip;
  if (got >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5) return FileKind::torch_pickle;
  if (got == 8) return FileKind::safetensors;  // its first 8 bytes are a length: anything goes
  return FileKind::unknown;
}

std::optional<std::int32_t> parse_recorded(const std::string& text, const std::string& where) {
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  try {
    std::size_t used = 0;
    value = std::stoll(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw InputError(fmt::format("{}: '{}' is not an integer", where, text));
  }
  if (value < 0 || value > kMaxClip) throw InputError(fmt::format("{}: {} is out of range", where, value));
  return static_cast<std::int32_t>(value);
}

struct RawWeight {
  std::vector<std::size_t> shape;
  std::vector<float> values;
  std::string key;
  std::string stored_dtype;
  std::optional<std::int32_t> recorded_r_max, recorded_s_max;
  std::string origin_name, origin_sha256, origin_dtype, description;
};

std::string list_float_matrices(const std::vector<std::pair<std::string, std::vector<std::size_t>>>& matrices) {
  if (matrices.empty()) return "it holds no rank-2 floating-point tensor";
  std::string text = "rank-2 floating-point tensors present: ";
  for (std::size_t k = 0; k < matrices.size() && k < 8; ++k)
    text += (k ? ", " : "") + matrices[k].first + " " + shape_text(matrices[k].second);
  if (matrices.size() > 8) text += fmt::format(" and {} more", matrices.size() - 8);
  return text;
}

RawWeight read_safetensors_weight(const std::filesystem::path& path, const std::string& requested_key) {
  const io::SafetensorsFile file(path);
  std::string key = requested_key;
  if (key.empty()) {
    for (const std::string& candidate : weight_key_candidates(false))
      if (file.find(candidate) != nullptr) {
        key = candidate;
        break;
      }
  }
  if (key.empty() || file.find(key) == nullptr) {
    std::vector<std::pair<std::string, std::vector<std::size_t>>> matrices;
    for (const auto& entry : file.tensors())
      if (entry.shape.size() == 2 && (entry.dtype == "F32" || entry.dtype == "F16" || entry.dtype == "BF16"))
        matrices.emplace_back(entry.name, entry.shape);
    if (requested_key.empty())
      throw InputError(fmt::format("{}: none of the known weight keys ({}, with or without 'module.') is present; {}; "
                                   "name one as FILE:KEY",
                                   path.string(), fmt::join(kKnownKeys, ", "), list_float_matrices(matrices)));
    throw InputError(fmt::format("{}: no tensor '{}'; {}", path.string(), requested_key, list_float_matrices(matrices)));
  }
  io::Float32Tensor tensor = file.read_float32(key);
  RawWeight raw;
  raw.shape = std::move(tensor.shape);
  raw.values = std::move(tensor.values);
  raw.key = key;
  raw.stored_dtype = tensor.source_dtype;
  const auto& metadata = file.metadata();
  const auto recorded = [&](const char* name) -> std::optional<std::int32_t> {
    const auto it = metadata.find(name);
    if (it == metadata.end()) return std::nullopt;
    return parse_recorded(it->second, fmt::format("{}: __metadata__ '{}'", path.string(), name));
  };
  raw.recorded_r_max = recorded("r_max");
  raw.recorded_s_max = recorded("s_max");
  if (const auto it = metadata.find("source"); it != metadata.end()) raw.description = it->second;
  return raw;
}

RawWeight read_hdf5_weight(const std::filesystem::path& path, const std::string& requested_key) {
  const io::Hdf5Reader file(path);
  const bool exported = file.has_attribute("format") && file.string_attribute("format") == "relpos-weights";
  std::string key = requested_key;
  std::string dataset;
  const auto as_path = [](const std::string& name) { return name.starts_with('/') ? name : "/" + name; };
  if (key.empty() && exported && file.has_attribute("key")) {
    key = file.string_attribute("key");
    if (!file.has_dataset(as_path(key))) file.fail("attribute 'key'", fmt::format("names '{}', which is not a dataset", key));
  }
  if (key.empty()) {
    for (const std::string& candidate : weight_key_candidates(true))
      if (file.has_dataset(as_path(candidate))) {
        key = candidate;
        break;
      }
  }
  if (key.empty() || !file.has_dataset(as_path(key))) {
    std::vector<std::pair<std::string, std::vector<std::size_t>>> matrices;
    for (const std::string& name : file.dataset_names()) {
      const auto shape = file.dataset_shape(name);
      if (shape.size() == 2) matrices.emplace_back(name, shape);
    }
    if (requested_key.empty())
      throw InputError(fmt::format("{}: none of the known weight keys ({}, with or without 'module.', at the root or "
                                   "under model/ or state_dict/) is present; {}; name one as FILE:KEY",
                                   path.string(), fmt::join(kKnownKeys, ", "), list_float_matrices(matrices)));
    throw InputError(
        fmt::format("{}: no dataset '{}'; {}", path.string(), requested_key, list_float_matrices(matrices)));
  }
  RawWeight raw;
  io::FloatData data = file.read_float_exact(as_path(key), &raw.stored_dtype);
  raw.shape = std::move(data.shape);
  raw.values = std::move(data.values);
  raw.key = key.starts_with('/') ? key.substr(1) : key;
  const auto recorded = [&](const char* name) -> std::optional<std::int32_t> {
    if (!file.has_attribute(name)) return std::nullopt;
    const std::int64_t value = file.integer_attribute(name);
    if (value < 0 || value > kMaxClip) file.fail(fmt::format("attribute '{}'", name), fmt::format("{} is out of range", value));
    return static_cast<std::int32_t>(value);
  };
  raw.recorded_r_max = recorded("r_max");
  raw.recorded_s_max = recorded("s_max");
  if (exported) {
    const auto text = [&](const char* name) { return file.has_attribute(name) ? file.string_attribute(name) : std::string(); };
    raw.origin_name = text("source");
    raw.origin_sha256 = text("source_sha256");
    raw.origin_dtype = text("source_dtype");
    raw.description = text("description");
  }
  return raw;
}

}  // namespace

WeightSource parse_weight_source(std::string_view text) {
  if (text.empty()) throw InputError("empty weight source (expected FILE or FILE:KEY)");
  std::error_code error;
  if (std::filesystem::exists(std::filesystem::path(text), error)) return {std::filesystem::path(text), {}};
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return {std::filesystem::path(text), {}};
  WeightSource source{std::filesystem::path(text.substr(0, colon)), std::string(text.substr(colon + 1))};
  if (source.key.empty()) throw InputError(fmt::format("weight source '{}': empty KEY after ':'", text));
  return source;
}

std::span<const std::string_view> known_weight_keys() { return kKnownKeys; }

std::vector<std::string> weight_key_candidates(bool hdf5) {
  std::vector<std::string> names;
  const std::vector<std::string> containers = hdf5 ? std::vector<std::string>{"", "model/", "state_dict/"}
                                                   : std::vector<std::string>{""};
  for (std::string_view key : kKnownKeys)
    for (const std::string& container : containers)
      for (const char* prefix : {"", "module."}) names.push_back(container + prefix + std::string(key));
  return names;
}

namespace {
// A solved r_max or s_max beyond what any config accepts is the file's problem, named here.
ClipChoice within_limits(std::int64_t r_max, std::int64_t s_max, const std::string& origin, std::string_view where) {
  if (r_max > kMaxClip || s_max > kMaxClip)
    throw InputError(fmt::format("{}: r_max = {}, s_max = {} ({}) exceed the supported maximum {}", where, r_max, s_max,
                                 origin, kMaxClip));
  return {static_cast<std::int32_t>(r_max), static_cast<std::int32_t>(s_max), origin};
}
}  // namespace

ClipChoice choose_clip(std::int64_t width, const ConfigHints& given, std::optional<std::int32_t> recorded_r_max,
                       std::optional<std::int32_t> recorded_s_max, std::string_view where) {
  if (width < 7 || width % 2 == 0)
    throw InputError(fmt::format("{}: F = {} fits no config (F = 4 r_max + 2 s_max + 7 is odd and at least 7)", where,
                                 width));
  const std::optional<std::int32_t> r = given.r_max ? given.r_max : recorded_r_max;
  const std::optional<std::int32_t> s = given.s_max ? given.s_max : recorded_s_max;
  const bool any_given = given.r_max.has_value() || given.s_max.has_value();
  const bool any_recorded = (!given.r_max && recorded_r_max) || (!given.s_max && recorded_s_max);
  const std::string origin = !any_given ? "recorded in the file" : any_recorded ? "given and recorded in the file" : "given";
  const std::int64_t half = (width - 7) / 2;  // = 2 r_max + s_max
  if (r && s) {
    if (4 * std::int64_t{*r} + 2 * std::int64_t{*s} + 7 != width)
      throw InputError(fmt::format("{}: F = {} but r_max = {} and s_max = {} need F = {}", where, width, *r, *s,
                                   4 * std::int64_t{*r} + 2 * std::int64_t{*s} + 7));
    return {*r, *s, origin};
  }
  if (r) {
    const std::int64_t solved = half - 2 * std::int64_t{*r};
    if (solved < 0)
      throw InputError(fmt::format("{}: F = {} is too small for r_max = {} (needs F >= {})", where, width, *r,
                                   4 * std::int64_t{*r} + 7));
    return within_limits(*r, solved, origin, where);
  }
  if (s) {
    const std::int64_t twice_r = half - *s;
    if (twice_r < 0 || twice_r % 2 != 0)
      throw InputError(fmt::format("{}: F = {} leaves no integer r_max >= 0 for s_max = {}", where, width, *s));
    return within_limits(twice_r / 2, *s, origin, where);
  }
  if (width == 139) return {32, 2, "AF3 defaults (F = 139)"};
  if (half <= 1) return {0, static_cast<std::int32_t>(half), fmt::format("the only fit for F = {}", width)};
  std::string candidates;
  for (std::int64_t rr = half / 2, shown = 0; rr >= 0 && shown < 4; --rr, ++shown)
    candidates += fmt::format("{}(r_max {}, s_max {})", shown ? ", " : "", rr, half - 2 * rr);
  throw InputError(fmt::format("{}: F = {} is ambiguous: {}, ...; pass --r-max and/or --s-max", where, width,
                               candidates));
}

ImportedWeights import_weights(const WeightSource& source, const ConfigHints& hints) {
  const std::filesystem::path& path = source.file;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw InputError(fmt::format("{}: no such file", path.string()));
  if (!std::filesystem::is_regular_file(path, error))
    throw InputError(fmt::format("{}: not a regular file", path.string()));
  RawWeight raw;
  ImportedWeights imported;
  switch (sniff(path)) {
    case FileKind::hdf5:
      raw = read_hdf5_weight(path, source.key);
      imported.file_format = "hdf5";
      break;
    case FileKind::safetensors:
      raw = read_safetensors_weight(path, source.key);
      imported.file_format = "safetensors";
      break;
    case FileKind::torch_zip:
    case FileKind::torch_pickle:
      throw InputError(fmt::format("{}: a PyTorch checkpoint (pickle), which C++ does not unpickle; convert it first: "
                                   "tools/export_weights.py {} --out W.h5",
                                   path.string(), path.string()));
    case FileKind::unknown:
      throw InputError(fmt::format("{}: neither safetensors nor HDF5 (too short)", path.string()));
  }
  const std::string where = fmt::format("{}: '{}'", path.string(), raw.key);
  if (raw.shape.size() != 2)
    throw InputError(fmt::format("{}: expected a [c_z, F] matrix, found shape {}", where, shape_text(raw.shape)));
  if (raw.shape[0] < 1 || raw.shape[0] > static_cast<std::size_t>(kMaxChannels))
    throw InputError(fmt::format("{}: c_z = {} is out of range (1..{})", where, raw.shape[0], kMaxChannels));
  const ClipChoice clip =
      choose_clip(static_cast<std::int64_t>(raw.shape[1]), hints, raw.recorded_r_max, raw.recorded_s_max, where);
  imported.config = Config{clip.r_max, clip.s_max, static_cast<std::int32_t>(raw.shape[0]), hints.variant};
  imported.config_origin = clip.origin;
  imported.weights = Weights(std::array<std::size_t, 2>{raw.shape[0], raw.shape[1]});
  std::copy(raw.values.begin(), raw.values.end(), imported.weights.begin());
  try {
    validate(imported.weights, imported.config);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", where, e.what()));
  }
  imported.key = raw.key;
  imported.file_sha256 = io::sha256_file(path);
  imported.stored_dtype = raw.stored_dtype;
  imported.origin_name = raw.origin_name.empty() ? path.filename().string() : raw.origin_name;
  imported.origin_sha256 = raw.origin_sha256.empty() ? imported.file_sha256 : raw.origin_sha256;
  imported.origin_dtype = raw.origin_dtype.empty() ? raw.stored_dtype : raw.origin_dtype;
  imported.origin_shape = raw.shape;
  imported.description = raw.description;
  return imported;
}

}  // namespace relpos
