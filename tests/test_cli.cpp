// The relpos command line end to end: exit codes 0 / 1 / 2, tables, reports.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/io/fixture.hpp"
#include "relpos/synthetic_weights.hpp"
#include "cli_runner.hpp"
#include "test_layouts.hpp"

namespace relpos {
namespace {

namespace fs = std::filesystem;

using testing::CliResult;
using testing::slurp;

std::size_t count_lines(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

class Cli : public testing::CliTest {
 protected:
  // An input-only v1 file (no /expected/output), as other tools would hand us.
  fs::path input_file(const std::string& name, const Layout& layout, Config config) {
    Fixture fixture;
    fixture.meta.config = config;
    fixture.meta.source = "synthetic: protenix_synthetic_weights seed 8";
    fixture.layout = layout;
    fixture.weights = protenix_synthetic_weights(config, 8);
    write_fixture(dir / name, fixture);
    return dir / name;
  }

  // A full fixture computed by `relpos compute`.
  fs::path computed_fixture(const std::string& name, const std::string& dtype = "fp32") {
    const fs::path input = input_file("in-" + name, testing::protein_with_ligand(), Config{4, 2, 20});
    const CliResult r = relpos("compute --input " + input.string() + " --out " + (dir / name).string() +
                               " --backend onehot --dtype " + dtype);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return dir / name;
  }

  // The fixture with one expected value moved by one ULP, at pair (i, j), channel c.
  fs::path one_ulp_off(const fs::path& source, std::int64_t i, std::int64_t j, std::int64_t c) {
    Fixture fixture = read_fixture(source);
    float& value = (*fixture.expected)(0, i, j, c);
    value = std::nextafter(value, std::numeric_limits<float>::infinity());
    const fs::path target = dir / ("off-" + source.filename().string());
    write_fixture(target, fixture);
    return target;
  }
};

TEST_F(Cli, VersionAndBackends) {
  const CliResult version = relpos("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("relpos 0."), std::string::npos) << version.out;
  const CliResult backends = relpos("backends");
  EXPECT_EQ(backends.exit_code, 0);
  for (const char* name : {"onehot ", "onehot-blas", "cpu ", "cuda "})
    EXPECT_NE(backends.out.find(name), std::string::npos) << name << "\n" << backends.out;
  const bool cuda_available = make_backend("cuda")->availability().available;
  const std::string detail = make_backend("cuda")->availability().detail;
  EXPECT_NE(backends.out.find(detail), std::string::npos) << backends.out;
  if (!cuda_available) EXPECT_NE(backends.out.find("cuda         no"), std::string::npos) << backends.out;
}

TEST_F(Cli, ComputeThenVerifyOnEveryBackend) {
  const fs::path fixture = computed_fixture("ok.h5");
  const CliResult r = relpos("verify " + fixture.string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* row : {"onehot ", "onehot-blas", "cpu "}) EXPECT_NE(r.out.find(row), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bound:6"), std::string::npos) << "onehot-blas is held to bound:6\n" << r.out;
}

TEST_F(Cli, Bf16ComputeVerifies) {
  const fs::path fixture = computed_fixture("bf16.h5", "bf16");
  EXPECT_EQ(read_fixture(fixture).meta.config.precision, Precision::bf16);
  const CliResult r = relpos("verify " + fixture.string() + " --backend onehot cpu");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(Cli, OneUlpOffFailsWithExit1AndNamesThePairAndItsBins) {
  const fs::path off = one_ulp_off(computed_fixture("ok.h5"), 2, 15, 7);
  const CliResult r = relpos("verify " + off.string() + " --backend cpu");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pair (i=2, j=15)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bins: d_res=9 d_tok=9 same_entity=0 d_chain=5"), std::string::npos) << r.out;
  // The same file is within bound:6 (a reordered sum may be one rounding away).
  EXPECT_EQ(relpos("verify " + off.string() + " --backend cpu --policy bound:6").exit_code, 0);
}

TEST_F(Cli, CandidateFilesAreComparedWithoutRecomputing) {
  const fs::path reference = computed_fixture("ref.h5");
  const fs::path same = dir / "same.h5";
  fs::copy_file(reference, same);
  EXPECT_EQ(relpos("verify " + reference.string() + " --candidate " + same.string()).exit_code, 0);
  const fs::path off = one_ulp_off(reference, 0, 0, 0);
  const CliResult r = relpos("verify " + reference.string() + " --candidate " + off.string());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("pair (i=0, j=0)"), std::string::npos) << r.out;
}

TEST_F(Cli, CandidateRefusesOptionsThatOnlySteerARecomputation) {
  const fs::path reference = computed_fixture("ref.h5");
  for (const char* option : {"--backend cpu", "--threads 2", "--chunk-rows 7"}) {
    const CliResult r = relpos("verify " + reference.string() + " --candidate " + reference.string() + " " + option);
    EXPECT_EQ(r.exit_code, 2) << option << "\n" << r.err;
    EXPECT_NE(r.err.find("excludes"), std::string::npos) << option << "\n" << r.err;
  }
}

TEST_F(Cli, MalformedFileExits2WithOneLine) {
  const fs::path bad = dir / "bad.h5";
  std::ofstream(bad) << "not hdf5";
  const CliResult r = relpos("verify " + bad.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(bad.string() + ": not an HDF5 file"), std::string::npos) << r.err;
}

TEST_F(Cli, ComputeNeverOverwritesSilently) {
  const fs::path fixture = computed_fixture("out.h5");
  const std::string before = slurp(fixture);
  const fs::path input = dir / "in-out.h5";
  const CliResult r = relpos("compute --input " + input.string() + " --out " + fixture.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(fixture), before);
  EXPECT_EQ(relpos("compute --force --input " + input.string() + " --out " + fixture.string()).exit_code, 0);
}

TEST_F(Cli, BadArgumentsExit2) {
  EXPECT_EQ(relpos("").exit_code, 2);
  EXPECT_EQ(relpos("compute --out x.h5").exit_code, 2);
  EXPECT_EQ(relpos("frobnicate").exit_code, 2);
  const fs::path fixture = computed_fixture("ok.h5");
  const CliResult unknown = relpos("verify " + fixture.string() + " --backend gpu");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown backend 'gpu'"), std::string::npos) << unknown.err;
  EXPECT_EQ(relpos("verify " + fixture.string() + " --policy roughly").exit_code, 2);
  EXPECT_EQ(relpos("compute --input " + fixture.string() + " --out y.h5 --dtype fp16").exit_code, 2);
}

TEST_F(Cli, CheckVerifiesADirectoryAndFailsOnAMismatch) {
  fs::create_directories(dir / "set");
  computed_fixture("a.h5");
  fs::copy_file(dir / "a.h5", dir / "set" / "a.h5");
  const CliResult pass = relpos("check --fixtures " + (dir / "set").string());
  EXPECT_EQ(pass.exit_code, 0) << pass.out << pass.err;
  EXPECT_NE(pass.out.find("check: PASS"), std::string::npos) << pass.out;
  fs::copy_file(one_ulp_off(dir / "a.h5", 1, 1, 1), dir / "set" / "b.h5");
  const CliResult fail = relpos("check --fixtures " + (dir / "set").string());
  EXPECT_EQ(fail.exit_code, 1) << fail.out;
  EXPECT_NE(fail.out.find("check: FAIL"), std::string::npos) << fail.out;
}

}  // namespace
}  // namespace relpos
