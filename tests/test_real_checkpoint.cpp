// Regenerates fixtures from a real checkpoint named by RELPOS_CHECKPOINT=/path[:KEY]
// (.safetensors, HDF5 weight file, or a PyTorch .pt/.ckpt, exported first with
// tools/export_weights.py; set RELPOS_CHECKPOINT_TRUST_PICKLE=1 for checkpoints
// that weights_only loading refuses). Skipped when the variable is not set.
#include <gtest/gtest.h>

#include <cstdlib>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"
#include "relpos/fixtures/fixture_maker.hpp"
#include "relpos/io/fixture.hpp"
#include "relpos/io/verify.hpp"
#include "test_temp_dir.hpp"

namespace relpos {
namespace {

std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST(RealCheckpoint, RegeneratesAndVerifiesFixtures) {
  const char* env = std::getenv("RELPOS_CHECKPOINT");
  if (env == nullptr || *env == '\0')
    GTEST_SKIP() << "RELPOS_CHECKPOINT is not set: set it to /path/to/checkpoint[:KEY] (.pt, .ckpt, .safetensors "
                    "or an HDF5 weight file) to regenerate fixtures from real weights";
  testing::TempDir dir;
  WeightSource source = parse_weight_source(env);
  try {
    import_weights(source);
  } catch (const InputError& e) {
    if (std::string(e.what()).find("PyTorch checkpoint") == std::string::npos) throw;
    const char* fixtures = std::getenv("RELPOS_FIXTURES");
    ASSERT_NE(fixtures, nullptr) << "RELPOS_FIXTURES (set by ctest) locates tools/export_weights.py";
    const std::filesystem::path tool = std::filesystem::path(fixtures).parent_path() / "tools" / "export_weights.py";
    const char* trust = std::getenv("RELPOS_CHECKPOINT_TRUST_PICKLE");
    const std::string command = "/usr/bin/python3 " + shell_quoted(tool.string()) + " " + shell_quoted(source.file.string()) +
                                " --out " + shell_quoted((dir / "exported.h5").string()) +
                                (source.key.empty() ? "" : " --key " + shell_quoted(source.key)) +
                                (trust != nullptr && std::string(trust) == "1" ? " --trust-pickle" : "");
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    source = {dir / "exported.h5", ""};
  }
  const ImportedWeights imported = import_weights(source);
  RecordProperty("weight_key", imported.key);
  RecordProperty("config", describe(imported.config));
  for (const char* layout : {"monomer", "protein_ligand", "antibody_antigen", "cropped_complex", "batch3"})
    for (Precision precision : {Precision::fp32, Precision::bf16}) {
      FixtureRequest request;
      request.weights = source;
      request.weights_label = std::filesystem::path(env).filename().string();
      request.layout = layout;
      request.precision = precision;
      const Fixture fixture = make_fixture(request);
      const std::string name = std::string(layout) + "_" + std::string(to_string(precision));
      write_fixture(dir / (name + ".h5"), fixture);
      write_fixture(dir / (name + "_again.h5"), make_fixture(request));
      EXPECT_EQ(testing::read_bytes(dir / (name + ".h5")), testing::read_bytes(dir / (name + "_again.h5")))
          << name << ": regeneration is not byte-identical";
      const Fixture back = read_fixture(dir / (name + ".h5"));
      for (std::string_view backend_name : backend_names()) {
        const auto backend = make_backend(backend_name);
        if (!backend->availability().available) continue;
        const VerifyResult result = verify_fixture(back, *backend);
        EXPECT_TRUE(result.comparison.passed()) << name << " with " << backend_name << ":\n"
                                                << result.comparison.report();
      }
    }
}

}  // namespace
}  // namespace relpos
