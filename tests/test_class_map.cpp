// The compact class-map encoding of /expected: lossless, and read transparently.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <functional>

#include "relpos/backend.hpp"
#include "relpos/backends/registry.hpp"
#include "relpos/errors.hpp"
#include "relpos/io/class_map.hpp"
#include "relpos/io/fixture.hpp"
#include "relpos/io/hdf5_file.hpp"
#include "relpos/layouts/builtin_layouts.hpp"
#include "relpos/synthetic_weights.hpp"
#include "relpos/io/verify.hpp"
#include "test_temp_dir.hpp"

namespace relpos {
namespace {

bool same_bits(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](float x, float y) {
           return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y);
         });
}

TEST(ClassMap, RowsAreDistinctByBitsInOrderOfFirstAppearance) {
  const float nan = std::nanf("");
  const std::vector<float> output = {1, 2, 0.0f, 0.0f, 1, 2, -0.0f, 0.0f, nan, 3, 1, 2, nan, 3};
  const io::ClassMap map = io::encode_class_map(output, 2);
  EXPECT_EQ(map.classes, (std::vector<std::int32_t>{0, 1, 0, 2, 3, 0, 3}));
  EXPECT_EQ(map.row_count(), 4u) << "-0 and +0 rows are kept apart: decoding must give the same bytes";
  std::vector<std::int64_t> wide(map.classes.begin(), map.classes.end());
  std::vector<float> decoded(output.size());
  EXPECT_EQ(io::decode_class_map(wide, map.rows, 2, decoded), -1);
  EXPECT_TRUE(same_bits(decoded, output));
  wide[4] = 4;
  EXPECT_EQ(io::decode_class_map(wide, map.rows, 2, decoded), 4);
}

Fixture computed_fixture(const std::string& layout_name, OutputEncoding encoding, Precision precision,
                         std::int32_t channels = 16) {
  Fixture fixture;
  fixture.layout = builtin_layout(layout_name);
  fixture.meta.config = {32, 2, channels};
  fixture.weights = protenix_synthetic_weights(fixture.meta.config, 3);
  fixture.meta.config.precision = precision;
  fixture.meta.source = "synthetic: test";
  fixture.encoding = encoding;
  fixture.expected = compute_in_precision(*make_backend("cpu"), fixture.problem());
  return fixture;
}

TEST(ClassMapFixture, RoundTripsBitwise) {
  testing::TempDir dir;
  for (const char* layout : {"large_complex_512", "batch3", "antibody_antigen"})
    for (Precision precision : {Precision::fp32, Precision::bf16}) {
      const Fixture full = computed_fixture(layout, OutputEncoding::full, precision);
      const Fixture compact = computed_fixture(layout, OutputEncoding::class_map, precision);
      const auto full_path = dir / (std::string(layout) + "_full.h5");
      const auto compact_path = dir / (std::string(layout) + "_compact.h5");
      write_fixture(full_path, full, {.overwrite = true});
      write_fixture(compact_path, compact, {.overwrite = true});
      const Fixture back = read_fixture(compact_path);
      EXPECT_EQ(back.encoding, OutputEncoding::class_map);
      ASSERT_TRUE(back.expected.has_value());
      EXPECT_TRUE(same_bits({back.expected->data(), back.expected->size()},
                            {full.expected->data(), full.expected->size()}))
          << layout;
      EXPECT_TRUE(back.layout == full.layout);
      EXPECT_EQ(read_fixture(full_path).encoding, OutputEncoding::full);
      // --candidate files in the compact encoding are read the same way.
      const auto candidate = read_expected_output(compact_path, read_fixture(full_path));
      EXPECT_TRUE(same_bits({candidate.data(), candidate.size()}, {full.expected->data(), full.expected->size()}));
    }
}

TEST(ClassMapFixture, IsFarSmallerThanTheFullOutputAtRealisticWidth) {
  testing::TempDir dir;
  write_fixture(dir / "full.h5", computed_fixture("large_complex_256", OutputEncoding::full, Precision::fp32, 128));
  write_fixture(dir / "compact.h5", computed_fixture("large_complex_256", OutputEncoding::class_map, Precision::fp32, 128));
  const auto full = std::filesystem::file_size(dir / "full.h5"), compact = std::filesystem::file_size(dir / "compact.h5");
  EXPECT_LT(compact * 20, full) << "compact " << compact << " bytes, full " << full << " bytes";
}

TEST(ClassMapFixture, IdenticalContentGivesIdenticalBytes) {
  testing::TempDir dir;
  const Fixture fixture = computed_fixture("large_complex_100", OutputEncoding::class_map, Precision::fp32);
  write_fixture(dir / "a.h5", fixture);
  write_fixture(dir / "b.h5", fixture);
  EXPECT_EQ(testing::read_bytes(dir / "a.h5"), testing::read_bytes(dir / "b.h5"));
}

// A valid compact fixture for "monomer" with one thing changed by `tamper`.
std::filesystem::path write_tampered(const testing::TempDir& dir, const std::string& name,
                                     const std::function<void(io::Hdf5Writer&, const io::ClassMap&)>& tamper) {
  const Fixture fixture = computed_fixture("monomer", OutputEncoding::full, Precision::fp32);
  const io::ClassMap map = io::encode_class_map({fixture.expected->data(), fixture.expected->size()}, 16);
  const auto path = dir / name;
  io::Hdf5Writer file(path);
  file.string_attribute("format", "relpos-fixture");
  file.integer_attribute("format_version", 1);
  file.string_attribute("variant", "af3");
  file.integer_attribute("r_max", 32);
  file.integer_attribute("s_max", 2);
  file.integer_attribute("c_z", 16);
  file.string_attribute("precision", "fp32");
  file.string_attribute("policy", "bitwise");
  for (const char* attribute : {"source", "source_sha256", "weight_key", "generator"}) file.string_attribute(attribute, "");
  file.create_group("/inputs");
  for (IdField field : kIdFields)
    file.write_int64("/inputs/" + std::string(to_string(field)), {40}, fixture.layout.ids(field).data());
  file.create_group("/weights");
  file.write_float32("/weights/linear_no_bias", {16, 139}, fixture.weights.data());
  file.create_group("/expected");
  tamper(file, map);
  file.close();
  return path;
}

TEST(ClassMapFixture, MalformedCompactFilesGiveOneClearLine) {
  testing::TempDir dir;
  const auto good = [](io::Hdf5Writer& f, const io::ClassMap& m) {
    f.object_string_attribute("/expected", "encoding", "class-map");
    f.write_int32("/expected/classes", {40, 40}, m.classes.data());
    f.write_float32("/expected/rows", {m.row_count(), 16}, m.rows.data());
  };
  EXPECT_NO_THROW(read_fixture(write_tampered(dir, "good.h5", good)));

  struct Case {
    const char* name;
    std::function<void(io::Hdf5Writer&, const io::ClassMap&)> tamper;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"unknown_encoding.h5",
       [&](io::Hdf5Writer& f, const io::ClassMap& m) {
         good(f, m);
         f.object_string_attribute("/expected", "encoding2", "x");
       },
       nullptr},
      {"bad_encoding.h5", [](io::Hdf5Writer& f, const io::ClassMap&) { f.object_string_attribute("/expected", "encoding", "zip"); },
       "unknown output encoding 'zip'"},
      {"missing_rows.h5",
       [](io::Hdf5Writer& f, const io::ClassMap& m) {
         f.object_string_attribute("/expected", "encoding", "class-map");
         f.write_int32("/expected/classes", {40, 40}, m.classes.data());
       },
       "/expected/rows: missing dataset"},
      {"class_out_of_range.h5",
       [](io::Hdf5Writer& f, const io::ClassMap& m) {
         f.object_string_attribute("/expected", "encoding", "class-map");
         std::vector<std::int32_t> classes = m.classes;
         classes[77] = static_cast<std::int32_t>(m.row_count());
         f.write_int32("/expected/classes", {40, 40}, classes.data());
         f.write_float32("/expected/rows", {m.row_count(), 16}, m.rows.data());
       },
       "element 77"},
      {"classes_shape.h5",
       [](io::Hdf5Writer& f, const io::ClassMap& m) {
         f.object_string_attribute("/expected", "encoding", "class-map");
         f.write_int32("/expected/classes", {1600}, m.classes.data());
         f.write_float32("/expected/rows", {m.row_count(), 16}, m.rows.data());
       },
       "/expected/classes: shape [1600] but the inputs need [40, 40]"},
      {"rows_width.h5",
       [](io::Hdf5Writer& f, const io::ClassMap& m) {
         f.object_string_attribute("/expected", "encoding", "class-map");
         f.write_int32("/expected/classes", {40, 40}, m.classes.data());
         f.write_float32("/expected/rows", {m.row_count() * 2, 8}, m.rows.data());
       },
       "/expected/rows: expected shape [K, c_z = 16]"},
      {"both.h5",
       [&](io::Hdf5Writer& f, const io::ClassMap& m) {
         good(f, m);
         std::vector<float> zeros(40 * 40 * 16);
         f.write_float32("/expected/output", {40, 40, 16}, zeros.data());
       },
       "ambiguous"},
  };
  for (const Case& c : cases) {
    const auto path = write_tampered(dir, c.name, c.tamper);
    if (c.message == nullptr) {
      EXPECT_NO_THROW(read_fixture(path)) << c.name << ": unknown attributes are ignored";
      continue;
    }
    try {
      read_fixture(path);
      ADD_FAILURE() << c.name << " was accepted";
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_TRUE(message.starts_with(path.string())) << message;
      EXPECT_NE(message.find(c.message), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace relpos
