// Fixture format v1: round trip, determinism, and one test per malformed file.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <H5Cpp.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <stdexcept>
#include <variant>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"
#include "relpos/fixtures/fixture_maker.hpp"
#include "relpos/io/fixture.hpp"
#include "relpos/io/hdf5_file.hpp"
#include "relpos/layouts/builtin_layouts.hpp"
#include "relpos/io/verify.hpp"
#include "relpos/synthetic_weights.hpp"
#include "test_layouts.hpp"
#include "test_temp_dir.hpp"

namespace relpos {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

Fixture make_fixture(const Layout& layout, Config config, Precision precision = Precision::fp32) {
  Fixture fixture;
  fixture.meta.config = config;
  fixture.meta.config.precision = precision;
  fixture.meta.policy = Policy::bitwise();
  fixture.meta.source = "synthetic: protenix_synthetic_weights seed 3";
  fixture.meta.weight_key = "relative_position_encoding.linear_no_bias.weight";
  fixture.layout = layout;
  fixture.weights = protenix_synthetic_weights(config, 3);
  const auto backend = make_backend("onehot");
  fixture.expected = precision == Precision::bf16 ? compute_bf16_as_float(*backend, fixture.problem())
                                                  : compute_fp32(*backend, fixture.problem());
  return fixture;
}

std::string bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Fixture, RoundTripsEveryField) {
  TempDir dir;
  for (bool batched : {false, true}) {
    const Layout layout = batched ? testing::batch_of_three() : testing::modified_residue_with_gap();
    const Fixture written = make_fixture(layout, Config{5, 1, 7});
    const fs::path path = dir / (batched ? "batched.h5" : "single.h5");
    write_fixture(path, written);
    const Fixture read = read_fixture(path);
    EXPECT_EQ(read.meta.config, written.meta.config);
    EXPECT_EQ(read.meta.config.precision, written.meta.config.precision);
    EXPECT_EQ(read.meta.policy, written.meta.policy);
    EXPECT_EQ(read.meta.source, written.meta.source);
    EXPECT_EQ(read.meta.source_sha256, "");
    EXPECT_EQ(read.meta.weight_key, written.meta.weight_key);
    EXPECT_EQ(read.meta.generator, generator_string());
    EXPECT_TRUE(read.layout == written.layout);
    EXPECT_EQ(read.layout.batched, batched);
    EXPECT_EQ(read.weights, written.weights);
    ASSERT_TRUE(read.expected.has_value());
    EXPECT_EQ(*read.expected, *written.expected);
  }
}

TEST(Fixture, Format2RoundTripsCyclicPeriodsAutocastAndTheModel) {
  TempDir dir;
  Config config{32, 2, 8};
  config.cyclic = Cyclic::boltz;
  for (Precision precision : {Precision::fp32, Precision::bf16_autocast}) {
    for (const char* name : {"cyclic_peptides", "cyclic_batch"}) {
      Fixture written = make_fixture(builtin_layout(name), config);
      written.meta.config.precision = precision;
      written.meta.model = "boltz2";
      written.expected = compute_in_precision(*make_backend("onehot"), written.problem());
      ASSERT_EQ(written.format_version(), 2);
      const fs::path path = dir / fmt::format("{}_{}.h5", name, to_string(precision));
      write_fixture(path, written, {.int32_ids = true});
      const Fixture read = read_fixture(path);
      EXPECT_EQ(read.meta.config, written.meta.config) << name;
      EXPECT_EQ(read.meta.model, "boltz2");
      EXPECT_TRUE(read.layout == written.layout) << name;
      ASSERT_TRUE(read.layout.has_periods());
      EXPECT_EQ(read.layout.cyclic_period, written.layout.cyclic_period);
      EXPECT_EQ(*read.expected, *written.expected);
    }
  }
}

TEST(Fixture, Format2RoundTripsTheGradientAndNeedsBoth) {
  TempDir dir;
  for (bool batched : {false, true}) {
    Fixture written = make_fixture(batched ? testing::batch_of_three() : testing::modified_residue_with_gap(),
                                   Config{5, 1, 7});
    written.grad_output = seeded_grad_output(written.problem(), 3);
    written.grad_weight = compute_weight_gradient(*make_backend("onehot"), written.problem(),
                                                  {written.grad_output->data(), written.grad_output->size()});
    ASSERT_EQ(written.format_version(), 2);
    const fs::path path = dir / (batched ? "batched.h5" : "single.h5");
    write_fixture(path, written);
    const Fixture read = read_fixture(path);
    ASSERT_TRUE(read.grad_output && read.grad_weight);
    EXPECT_EQ(*read.grad_output, *written.grad_output);
    EXPECT_EQ(*read.grad_weight, *written.grad_weight);
    EXPECT_EQ(read_expected_grad_weight(path, read), *written.grad_weight);
    // An input-only read keeps G and needs no dW.
    EXPECT_TRUE(read_fixture(path, {.require_expected = false}).grad_output.has_value());
  }
  Fixture orphan = make_fixture(testing::modified_residue_with_gap(), Config{5, 1, 7});
  orphan.grad_weight = GradWeight(std::array<std::size_t, 2>{7, 33}, 0.0f);
  EXPECT_THROW(write_fixture(dir / "orphan.h5", orphan), InputError);
  EXPECT_FALSE(fs::exists(dir / "orphan.h5"));
}

TEST(Fixture, VerifyChecksTheGradientAndKeepsTheForwardVerdictWhenTheBackwardThrows) {
  Fixture fixture = make_fixture(testing::modified_residue_with_gap(), Config{5, 1, 7});
  fixture.grad_output = seeded_grad_output(fixture.problem(), 4);
  const std::span<const float> g{fixture.grad_output->data(), fixture.grad_output->size()};
  fixture.grad_weight = compute_weight_gradient(*make_backend("onehot"), fixture.problem(), g);
  const auto cpu = make_backend("cpu");
  const OutputWriter forward = [&](const Problem& p, const PairOutput& out) { cpu->run(p, out); };
  const VerifyResult good = verify_fixture(fixture, "cpu", forward, true, std::nullopt, backward_writer(*cpu));
  ASSERT_TRUE(good.gradient.has_value());
  EXPECT_TRUE(good.passed());
  const GradientWriter throws = [](const Problem&, std::span<const float>, std::span<float>) {
    throw std::runtime_error("no gradient here");
  };
  const VerifyResult bad = verify_fixture(fixture, "thrower", forward, true, std::nullopt, throws);
  EXPECT_TRUE(bad.comparison.passed());
  EXPECT_FALSE(bad.passed());
  EXPECT_EQ(bad.gradient_error, "no gradient here");
  // A tampered stored dW fails under anyorder even against a faithful backward.
  Fixture tampered = fixture;
  (*tampered.grad_weight)(0, 0) += 1.0f;
  EXPECT_FALSE(verify_fixture(tampered, "cpu", forward, true, std::nullopt, backward_writer(*cpu)).passed());
}

TEST(Fixture, SeededGradOutputIsAReproducibleStandardNormal) {
  const Fixture f = make_fixture(testing::modified_residue_with_gap(), Config{5, 1, 7});
  const xt::xtensor<float, 4> a = seeded_grad_output(f.problem(), 9), b = seeded_grad_output(f.problem(), 9);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, seeded_grad_output(f.problem(), 10));
  double mean = 0, square = 0;
  for (float v : a) mean += v, square += double{v} * v;
  mean /= static_cast<double>(a.size());
  square /= static_cast<double>(a.size());
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(square, 1.0, 0.1);
}

TEST(Fixture, WithoutFormat2AdditionsTheFileStaysVersion1) {
  TempDir dir;
  // Periods present but cyclic = none: nothing of format 2 is used, none is written.
  const Fixture plain = make_fixture(builtin_layout("cyclic_ties"), Config{4, 1, 4});
  EXPECT_EQ(plain.format_version(), 1);
  write_fixture(dir / "plain.h5", plain);
  const io::Hdf5Reader file(dir / "plain.h5");
  EXPECT_EQ(file.integer_attribute("format_version"), 1);
  EXPECT_FALSE(file.has_attribute("cyclic"));
  EXPECT_FALSE(file.has_dataset("/inputs/cyclic_period"));
  EXPECT_FALSE(read_fixture(dir / "plain.h5").layout.any_cyclic());
}

TEST(Fixture, CyclicBoltzWithoutPeriodsCannotBeWritten) {
  TempDir dir;
  Config config{4, 1, 4};
  config.cyclic = Cyclic::boltz;
  Fixture fixture = make_fixture(testing::homomer(2, 3), Config{4, 1, 4});
  fixture.meta.config = config;
  EXPECT_THROW(write_fixture(dir / "x.h5", fixture), InputError);
  EXPECT_FALSE(fs::exists(dir / "x.h5"));
}

TEST(Fixture, Int32IdsReadBackAsTheSameLayout) {
  TempDir dir;
  const Fixture written = make_fixture(testing::protein_with_ligand(), Config{3, 2, 4});
  write_fixture(dir / "i32.h5", written, {.int32_ids = true});
  EXPECT_TRUE(read_fixture(dir / "i32.h5").layout == written.layout);
}

TEST(Fixture, Bf16PrecisionRoundTrips) {
  TempDir dir;
  const Fixture written = make_fixture(testing::homomer(2, 4), Config{3, 2, 9}, Precision::bf16);
  write_fixture(dir / "bf16.h5", written);
  const Fixture read = read_fixture(dir / "bf16.h5");
  EXPECT_EQ(read.meta.config.precision, Precision::bf16);
  EXPECT_EQ(*read.expected, *written.expected);
}

TEST(Fixture, EmptyAndSingleTokenLayouts) {
  TempDir dir;
  for (std::int64_t n : {0, 1}) {
    const Fixture written = make_fixture(testing::monomer(n, 0), Config{});
    const fs::path path = dir / ("n" + std::to_string(n) + ".h5");
    write_fixture(path, written);
    const Fixture read = read_fixture(path);
    EXPECT_EQ(read.layout.tokens(), n);
    EXPECT_EQ(read.expected->size(), static_cast<std::size_t>(n * n * 128));
  }
}

TEST(Fixture, IdenticalContentGivesIdenticalBytes) {
  TempDir dir;
  const Fixture fixture = make_fixture(testing::protein_with_ligand(), Config{4, 2, 16});
  write_fixture(dir / "a.h5", fixture);
  write_fixture(dir / "b.h5", fixture);
  EXPECT_EQ(bytes_of(dir / "a.h5"), bytes_of(dir / "b.h5"));
  EXPECT_FALSE(bytes_of(dir / "a.h5").empty());
}

TEST(Fixture, RefusesToOverwriteUnlessAsked) {
  TempDir dir;
  const Fixture fixture = make_fixture(testing::monomer(3, 1), Config{2, 1, 2});
  write_fixture(dir / "f.h5", fixture);
  EXPECT_THROW(write_fixture(dir / "f.h5", fixture), InputError);
  EXPECT_NO_THROW(write_fixture(dir / "f.h5", fixture, {.overwrite = true}));
}

TEST(Fixture, InputOnlyFilesReadWithoutExpected) {
  TempDir dir;
  Fixture fixture = make_fixture(testing::monomer(3, 1), Config{2, 1, 2});
  fixture.expected.reset();
  write_fixture(dir / "in.h5", fixture);
  EXPECT_FALSE(read_fixture(dir / "in.h5", {.require_expected = false}).expected.has_value());
  EXPECT_THROW(read_fixture(dir / "in.h5"), InputError);
}

// ---- malformed files, written with the HDF5 C++ API directly ----

using AttributeValue = std::variant<std::string, std::int64_t, double>;

struct RawDataset {
  H5::PredType file_type = H5::PredType::STD_I64LE;
  std::vector<hsize_t> shape;
  std::vector<double> values;  // converted to the file type on write
};

// A valid v1 file as plain attributes and datasets, which a test then breaks.
struct RawFile {
  std::map<std::string, AttributeValue> attributes;
  std::map<std::string, RawDataset> datasets;

  static RawFile valid() {
    const Fixture fixture = make_fixture(testing::protein_with_ligand(), Config{2, 1, 3});
    RawFile raw;
    raw.attributes = {{"format", std::string("relpos-fixture")},
                      {"format_version", std::int64_t{1}},
                      {"variant", std::string("af3")},
                      {"r_max", std::int64_t{2}},
                      {"s_max", std::int64_t{1}},
                      {"c_z", std::int64_t{3}},
                      {"precision", std::string("fp32")},
                      {"policy", std::string("bitwise")},
                      {"source", std::string("synthetic")},
                      {"source_sha256", std::string("")},
                      {"weight_key", std::string("")},
                      {"generator", std::string("test")}};
    const auto n = static_cast<hsize_t>(fixture.layout.tokens());
    for (IdField field : kIdFields) {
      const IdArray& ids = fixture.layout.ids(field);
      raw.datasets["/inputs/" + std::string(to_string(field))] = {H5::PredType::STD_I64LE, {n},
                                                                 {ids.begin(), ids.end()}};
    }
    raw.datasets["/weights/linear_no_bias"] = {H5::PredType::IEEE_F32LE,
                                               {fixture.weights.shape(0), fixture.weights.shape(1)},
                                               {fixture.weights.begin(), fixture.weights.end()}};
    raw.datasets["/expected/output"] = {H5::PredType::IEEE_F32LE, {n, n, 3},
                                        {fixture.expected->begin(), fixture.expected->end()}};
    return raw;
  }

  void write(const fs::path& path) const {
    H5::H5File file(path.string(), H5F_ACC_TRUNC);
    for (const auto& [name, value] : attributes) {
      H5::DataSpace scalar(H5S_SCALAR);
      if (const auto* text = std::get_if<std::string>(&value)) {
        H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);  // h5py's default
        file.createAttribute(name, type, scalar).write(type, *text);
      } else if (const auto* integer = std::get_if<std::int64_t>(&value)) {
        file.createAttribute(name, H5::PredType::STD_I32LE, scalar).write(H5::PredType::NATIVE_INT64, integer);
      } else {
        file.createAttribute(name, H5::PredType::IEEE_F64LE, scalar)
            .write(H5::PredType::NATIVE_DOUBLE, &std::get<double>(value));
      }
    }
    for (const char* group : {"/inputs", "/weights", "/expected"}) file.createGroup(group);
    for (const auto& [name, data] : datasets) {
      H5::DataSpace space(static_cast<int>(data.shape.size()), data.shape.data());
      H5::DataSet dataset = file.createDataSet(name, data.file_type, space);
      if (!data.values.empty()) dataset.write(data.values.data(), H5::PredType::NATIVE_DOUBLE);
    }
  }
};

class Malformed : public ::testing::Test {
 protected:
  TempDir dir;
  RawFile raw = RawFile::valid();

  // Reading must fail with one line naming the file and `object`, saying `problem`.
  void expect_error(const std::string& object, const std::string& problem) {
    const fs::path path = dir / "bad.h5";
    raw.write(path);
    try {
      read_fixture(path);
      FAIL() << "no error for " << object;
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << message;
      EXPECT_NE(message.find(object), std::string::npos) << message;
      EXPECT_NE(message.find(problem), std::string::npos) << message;
    }
  }
};

TEST_F(Malformed, ValidRawFileReads) {
  raw.write(dir / "good.h5");
  EXPECT_NO_THROW(read_fixture(dir / "good.h5"));
}

TEST_F(Malformed, MissingFile) {
  try {
    read_fixture(dir / "absent.h5");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.h5: no such file"), std::string::npos);
  }
}

TEST_F(Malformed, NotHdf5) {
  std::ofstream(dir / "text.h5") << "hello";
  EXPECT_THROW(read_fixture(dir / "text.h5"), InputError);
}

TEST_F(Malformed, MissingFormatAttribute) {
  raw.attributes.erase("format");
  expect_error("attribute 'format'", "missing");
}

TEST_F(Malformed, UnknownFormat) {
  raw.attributes["format"] = std::string("something-else");
  expect_error("attribute 'format'", "is not 'relpos-fixture'");
}

TEST_F(Malformed, UnsupportedVersion) {
  raw.attributes["format_version"] = std::int64_t{3};
  expect_error("attribute 'format_version'", "version 3 is not supported");
}

TEST_F(Malformed, GradWeightWithoutGradOutput) {
  raw.attributes["format_version"] = std::int64_t{2};
  raw.datasets["/expected/grad_weight"] = {H5::PredType::IEEE_F32LE, {3, 17}, std::vector<double>(51, 0.0)};
  expect_error("/expected/grad_weight", "present without /inputs/grad_output");
}

TEST_F(Malformed, GradOutputWithoutGradWeight) {
  raw.attributes["format_version"] = std::int64_t{2};
  const auto n = raw.datasets["/inputs/asym_id"].shape[0];
  raw.datasets["/inputs/grad_output"] = {H5::PredType::IEEE_F32LE, {n, n, 3}, std::vector<double>(n * n * 3, 1.0)};
  expect_error("/expected/grad_weight", "missing: /inputs/grad_output asks for the weight gradient");
}

TEST_F(Malformed, GradOutputOfTheWrongShape) {
  raw.attributes["format_version"] = std::int64_t{2};
  const auto n = raw.datasets["/inputs/asym_id"].shape[0];
  raw.datasets["/inputs/grad_output"] = {H5::PredType::IEEE_F32LE, {n, n, 2}, std::vector<double>(n * n * 2, 1.0)};
  expect_error("/inputs/grad_output", "but the output is");
}

TEST_F(Malformed, GradWeightOfTheWrongShape) {
  raw.attributes["format_version"] = std::int64_t{2};
  const auto n = raw.datasets["/inputs/asym_id"].shape[0];
  raw.datasets["/inputs/grad_output"] = {H5::PredType::IEEE_F32LE, {n, n, 3}, std::vector<double>(n * n * 3, 1.0)};
  raw.datasets["/expected/grad_weight"] = {H5::PredType::IEEE_F32LE, {17, 3}, std::vector<double>(51, 0.0)};
  expect_error("/expected/grad_weight", "shape [17, 3] but W is [3, 17]");
}

TEST_F(Malformed, Version1WithGradOutput) {
  const auto n = raw.datasets["/inputs/asym_id"].shape[0];
  raw.datasets["/inputs/grad_output"] = {H5::PredType::IEEE_F32LE, {n, n, 3}, std::vector<double>(n * n * 3, 1.0)};
  expect_error("attribute 'format_version'", "/inputs/grad_output, which needs format_version 2");
}

TEST_F(Malformed, Version1WithAFormat2Addition) {
  raw.attributes["precision"] = std::string("bf16-autocast");
  expect_error("attribute 'format_version'", "needs format_version 2");
}

TEST_F(Malformed, Version1WithTheCyclicAttribute) {
  raw.attributes["cyclic"] = std::string("none");
  expect_error("attribute 'format_version'", "needs format_version 2");
}

TEST_F(Malformed, UnknownCyclicForm) {
  raw.attributes["format_version"] = std::int64_t{2};
  raw.attributes["cyclic"] = std::string("rf3");
  expect_error("attribute 'cyclic'", "unknown cyclic form 'rf3'");
}

TEST_F(Malformed, CyclicBoltzWithoutPeriods) {
  raw.attributes["format_version"] = std::int64_t{2};
  raw.attributes["cyclic"] = std::string("boltz");
  expect_error("/inputs/cyclic_period", "missing");
}

class MalformedPeriods : public Malformed {
 protected:
  // A valid format-2 file with cyclic = boltz and every token's period (0 = linear).
  void SetUp() override {
    raw.attributes["format_version"] = std::int64_t{2};
    raw.attributes["cyclic"] = std::string("boltz");
    RawDataset periods = raw.datasets["/inputs/asym_id"];
    std::fill(periods.values.begin(), periods.values.end(), 0.0);
    raw.datasets["/inputs/cyclic_period"] = periods;
  }
};

TEST_F(MalformedPeriods, ValidPeriodsRead) {
  const fs::path path = dir / "ok.h5";
  raw.write(path);
  EXPECT_EQ(read_fixture(path).meta.config.cyclic, Cyclic::boltz);
}

TEST_F(MalformedPeriods, NegativePeriod) {
  raw.datasets["/inputs/cyclic_period"].values[1] = -4;
  expect_error("/inputs/cyclic_period", "cyclic_period -4 is negative");
}

TEST_F(MalformedPeriods, PeriodsOfAnotherShape) {
  raw.datasets["/inputs/cyclic_period"].shape[0] -= 1;
  raw.datasets["/inputs/cyclic_period"].values.pop_back();
  expect_error("/inputs/cyclic_period", "differs from /inputs/asym_id");
}

TEST_F(MalformedPeriods, FloatPeriods) {
  raw.datasets["/inputs/cyclic_period"].file_type = H5::PredType::IEEE_F32LE;
  expect_error("/inputs/cyclic_period", "integer");
}

TEST_F(MalformedPeriods, PeriodsWhileCyclicIsNone) {
  raw.attributes["cyclic"] = std::string("none");
  expect_error("/inputs/cyclic_period", "present but cyclic is 'none'");
}

TEST_F(Malformed, IntegerAttributeStoredAsFloat) {
  raw.attributes["r_max"] = 2.0;
  expect_error("attribute 'r_max'", "expected an integer");
}

TEST_F(Malformed, StringAttributeStoredAsInteger) {
  raw.attributes["precision"] = std::int64_t{32};
  expect_error("attribute 'precision'", "expected a string");
}

TEST_F(Malformed, UnknownVariant) {
  raw.attributes["variant"] = std::string("alphafold9");
  expect_error("attribute 'variant'", "unknown variant");
}

TEST_F(Malformed, UnknownPrecision) {
  raw.attributes["precision"] = std::string("fp16");
  expect_error("attribute 'precision'", "unknown precision");
}

TEST_F(Malformed, UnknownPolicy) {
  raw.attributes["policy"] = std::string("roughly");
  expect_error("attribute 'policy'", "unknown policy");
}

TEST_F(Malformed, MissingGeneratorAttribute) {
  raw.attributes.erase("generator");
  expect_error("attribute 'generator'", "missing");
}

TEST_F(Malformed, NegativeRMax) {
  raw.attributes["r_max"] = std::int64_t{-1};
  expect_error("r_max", "out of range");
}

TEST_F(Malformed, MissingInputDataset) {
  raw.datasets.erase("/inputs/sym_id");
  expect_error("/inputs/sym_id", "missing dataset");
}

TEST_F(Malformed, FloatIds) {
  raw.datasets["/inputs/residue_index"].file_type = H5::PredType::IEEE_F32LE;
  expect_error("/inputs/residue_index", "expected an integer dataset, found float32");
}

TEST_F(Malformed, IdsOfRankThree) {
  auto& ids = raw.datasets["/inputs/asym_id"];
  ids.shape = {1, 1, ids.shape[0]};
  expect_error("/inputs/asym_id", "expected shape [N] or [B, N]");
}

// The header alone (nothing written: HDF5 allocates on first write) must not make the reader allocate gigabytes.
TEST_F(Malformed, BatchBeyondTheTokenLimit) {
  for (IdField field : kIdFields) {
    auto& ids = raw.datasets["/inputs/" + std::string(to_string(field))];
    ids.shape = {hsize_t{1} << 23, ids.shape[0]};
    ids.values.clear();
  }
  expect_error("/inputs/asym_id", "token rows exceed the supported maximum");
}

TEST_F(Malformed, UnequalInputLengths) {
  auto& ids = raw.datasets["/inputs/token_index"];
  ids.values.pop_back();
  ids.shape[0] -= 1;
  expect_error("/inputs/token_index", "differs from /inputs/asym_id");
}

TEST_F(Malformed, WeightWidthDisagreesWithConfig) {
  raw.attributes["s_max"] = std::int64_t{2};  // F would be 19, the weight has 17 columns
  expect_error("/weights/linear_no_bias", "shape [3, 17] does not match c_z = 3 and F = 4*r_max + 2*s_max + 7 = 19");
}

TEST_F(Malformed, WeightsInFloat64) {
  raw.datasets["/weights/linear_no_bias"].file_type = H5::PredType::IEEE_F64LE;
  expect_error("/weights/linear_no_bias", "expected float32, found float64");
}

TEST_F(Malformed, NonFiniteWeight) {
  raw.datasets["/weights/linear_no_bias"].values[4] = std::numeric_limits<double>::infinity();
  expect_error("/weights/linear_no_bias", "is not finite");
}

TEST_F(Malformed, MissingExpectedOutput) {
  raw.datasets.erase("/expected/output");
  expect_error("/expected/output", "missing dataset");
}

TEST_F(Malformed, ExpectedOutputOfTheWrongShape) {
  raw.datasets["/expected/output"].shape[2] = 1;
  raw.datasets["/expected/output"].values.resize(raw.datasets["/expected/output"].values.size() / 3);
  expect_error("/expected/output", "but the inputs and c_z need");
}

TEST_F(Malformed, Bf16PrecisionWithAValueThatIsNotBf16) {
  raw.attributes["precision"] = std::string("bf16");
  expect_error("/expected/output", "is not a bf16 value");
}

}  // namespace
}  // namespace relpos
