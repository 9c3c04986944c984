#pragma once
// Import the projection weight W [c_z, F] from a checkpoint-derived file:
// safetensors, or an HDF5 weight file (tools/export_weights.py writes those
// from PyTorch .pt / Lightning .ckpt files). docs/weights.md is the manual.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "relpos/config.hpp"
#include "relpos/weights.hpp"

namespace relpos {

/// "FILE:KEY" or "FILE". A KEY never contains ':', so the text splits at its
/// last ':' unless the whole text names an existing file.
struct WeightSource {
  std::filesystem::path file;
  std::string key;  ///< empty: try the known keys
};
WeightSource parse_weight_source(std::string_view text);

/// The names AF3-family checkpoints give this weight, in the order tried:
/// Protenix/PXDesign trunk, Protenix diffusion conditioning copy, Boltz.
std::span<const std::string_view> known_weight_keys();

/// Every name tried when no key is given, in order: each known key bare and
/// with DataParallel's "module." prefix (HDF5 files: also under the groups
/// model/ and state_dict/ that torch checkpoints nest state dicts in).
std::vector<std::string> weight_key_candidates(bool hdf5);

/// What the caller knows about r_max / s_max (e.g. --r-max / --s-max).
struct ConfigHints {
  std::optional<std::int32_t> r_max;
  std::optional<std::int32_t> s_max;
  Variant variant = Variant::af3;
};

/// r_max and s_max for a weight with F columns, and how they were decided.
struct ClipChoice {
  std::int32_t r_max = 0;
  std::int32_t s_max = 0;
  std::string origin;  ///< "given", "recorded in the file", "AF3 defaults (F = 139)", "the only fit for F"
};

/// The rule (docs/weights.md "r_max and s_max"): F = 4 r_max + 2 s_max + 7.
/// 1. A value the caller gives wins; else a value the file records.
/// 2. With both known, F must match; with one known, the other must solve F
///    as an integer >= 0.
/// 3. With neither: F = 139 means the AF3 defaults r_max = 32, s_max = 2
///    (every shipped AF3-family model); otherwise the unique (r_max, s_max)
///    when only one fits (F = 7, 9). Any other F is ambiguous: InputError
///    listing the candidates. An F that fits no config (even, or < 7) is an
///    InputError too.
ClipChoice choose_clip(std::int64_t feature_width, const ConfigHints& given, std::optional<std::int32_t> recorded_r_max,
                       std::optional<std::int32_t> recorded_s_max, std::string_view where);

struct ImportedWeights {
  Weights weights;  ///< float32 [c_z, F], converted exactly
  Config config;
  std::string config_origin;  ///< ClipChoice::origin
  std::string key;            ///< the name the weight was found under
  std::string file_format;    ///< "safetensors" or "hdf5"
  std::string file_sha256;    ///< of the file read
  std::string stored_dtype;   ///< dtype in that file: F32, BF16, F16, float32, float16, ...
  /// Provenance: the artifact the weight came from. For a file written by
  /// tools/export_weights.py, the checkpoint (name, sha256, original torch dtype);
  /// otherwise the file itself. `description` is the file's own label
  /// (safetensors __metadata__ "source", e.g. "synthetic: ..."), may be empty.
  std::string origin_name;
  std::string origin_sha256;
  std::string origin_dtype;
  std::vector<std::size_t> origin_shape;
  std::string description;
};

/// Throws InputError naming the file and the problem (missing key with the
/// names present, non-float dtype, shape that fits no config, ...).
ImportedWeights import_weights(const WeightSource& source, const ConfigHints& hints = {});

}  // namespace relpos
