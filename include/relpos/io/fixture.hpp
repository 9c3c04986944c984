#pragma once
// HDF5 fixture format v1 and v2 (README "Fixture format"; v2: SPEC.md part 2):
// a contract that h5py, the PyTorch exporter and this library all write.
#include <filesystem>
#include <optional>
#include <string>

#include <xtensor/xtensor.hpp>

#include "relpos/config.hpp"
#include "relpos/gradient.hpp"
#include "relpos/layout.hpp"
#include "relpos/policy.hpp"
#include "relpos/problem.hpp"
#include "relpos/weights.hpp"

namespace relpos {

inline constexpr const char* kFixtureFormat = "relpos-fixture";
/// A file that uses none of format 2's additions is written as version 1, byte for byte as before.
inline constexpr std::int64_t kFixtureVersion = 1;
/// Adds (SPEC.md part 2): root attributes `cyclic` and `model`, /inputs/cyclic_period,
/// precision "bf16-autocast", /inputs/grad_output with /expected/grad_weight.
inline constexpr std::int64_t kFixtureVersion2 = 2;

struct FixtureMetadata {
  /// Includes the precision regime of /expected (bf16 values are stored as float32) and the cyclic form.
  Config config;
  Policy policy;
  std::string model;          ///< the preset the case belongs to (informational, format 2); may be empty
  std::string source;         ///< where the weights came from
  std::string source_sha256;  ///< may be empty
  std::string weight_key;     ///< may be empty
  std::string generator;      ///< program and version that wrote the file
};

/// How /expected is stored (docs/fixtures.md): `full` = /expected/output;
/// `class_map` = /expected/classes [B,] N, N (int) + /expected/rows [K, c_z]
/// (float32) with attribute encoding = "class-map" on the /expected group,
/// output[..., i, j, :] = rows[classes[..., i, j], :]. Readers expand it.
enum class OutputEncoding { full, class_map };
std::string_view to_string(OutputEncoding encoding);
/// "full" or "class-map"; throws InputError otherwise.
OutputEncoding parse_output_encoding(std::string_view name);

struct Fixture {
  FixtureMetadata meta;
  Layout layout;
  Weights weights;
  /// [B, N, N, c_z] (B = 1 for an unbatched file); absent in an input-only file.
  std::optional<xt::xtensor<float, 4>> expected;
  /// As read from the file; write_fixture stores `expected` this way.
  OutputEncoding encoding = OutputEncoding::full;
  /// Format 2: G of the backward, the output's shape ([B, N, N, c_z]).
  std::optional<xt::xtensor<float, 4>> grad_output;
  /// Format 2: dW [c_z, F] of sum(p * G); required with grad_output wherever /expected is.
  std::optional<GradWeight> grad_weight;

  Problem problem() const { return Problem{meta.config, layout, weights}; }
  /// The format version this content needs: 2 with any of format 2's additions, else 1.
  std::int64_t format_version() const;
};

struct ReadOptions {
  bool require_expected = true;
};

/// Throws InputError "FILE: OBJECT: problem" for anything malformed.
Fixture read_fixture(const std::filesystem::path& path, const ReadOptions& options = {});

/// Only /expected/output of `path`, checked against the shape `reference`
/// needs and, in a bf16 regime, holding bf16 values (for --candidate files
/// computed by other programs).
xt::xtensor<float, 4> read_expected_output(const std::filesystem::path& path, const Fixture& reference);

/// Only /expected/grad_weight of `path`, checked against the [c_z, F] `reference` needs.
GradWeight read_expected_grad_weight(const std::filesystem::path& path, const Fixture& reference);

struct WriteOptions {
  bool overwrite = false;  ///< refuse to replace an existing file unless set
  bool int32_ids = false;  ///< store ids as int32 (AF3 / OpenFold3 style) instead of int64
  bool compress = true;    ///< shuffle + deflate; off for files read once (the candidate protocol)
};

/// Writes atomically (temporary file + rename). Identical content gives identical bytes.
void write_fixture(const std::filesystem::path& path, const Fixture& fixture, const WriteOptions& options = {});

/// "relpos VERSION".
std::string generator_string();

}  // namespace relpos
