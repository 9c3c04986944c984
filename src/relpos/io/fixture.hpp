#pragma once
// HDF5 fixture format v1 (README "Fixture format"): a contract that h5py,
// the PyTorch exporter and this library all write.
#include <filesystem>
#include <optional>
#include <string>

#include <xtensor/xtensor.hpp>

#include "relpos/config.hpp"
#include "relpos/layout.hpp"
#include "relpos/policy.hpp"
#include "relpos/problem.hpp"
#include "relpos/weights.hpp"

namespace relpos {

inline constexpr const char* kFixtureFormat = "relpos-fixture";
inline constexpr std::int64_t kFixtureVersion = 1;

struct FixtureMetadata {
  Config config;
  Precision precision = Precision::fp32;
  Policy policy;
  std::string source;         ///< where the weights came from
  std::string source_sha256;  ///< may be empty
  std::string weight_key;     ///< may be empty
  std::string generator;      ///< program and version that wrote the file
};

struct Fixture {
  FixtureMetadata meta;
  Layout layout;
  Weights weights;
  /// [B, N, N, c_z] (B = 1 for an unbatched file); absent in an input-only file.
  std::optional<xt::xtensor<float, 4>> expected;

  Problem problem() const { return Problem{meta.config, layout, weights}; }
};

struct ReadOptions {
  bool require_expected = true;
};

/// Throws InputError "FILE: OBJECT: problem" for anything malformed.
Fixture read_fixture(const std::filesystem::path& path, const ReadOptions& options = {});

/// Only /expected/output of `path`, checked against the shape `reference`
/// needs (for --candidate files computed by other programs).
xt::xtensor<float, 4> read_expected_output(const std::filesystem::path& path, const Fixture& reference,
                                           Precision precision);

struct WriteOptions {
  bool overwrite = false;  ///< refuse to replace an existing file unless set
  bool int32_ids = false;  ///< store ids as int32 (AF3 / OpenFold3 style) instead of int64
};

/// Writes atomically (temporary file + rename). Identical content gives identical bytes.
void write_fixture(const std::filesystem::path& path, const Fixture& fixture, const WriteOptions& options = {});

/// "relpos VERSION".
std::string generator_string();

}  // namespace relpos
