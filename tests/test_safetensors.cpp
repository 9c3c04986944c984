// The safetensors reader against files assembled byte by byte here, and the writer round trip.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "relpos/errors.hpp"
#include "relpos/io/safetensors.hpp"
#include "test_temp_dir.hpp"

namespace relpos {
namespace {

using io::SafetensorsFile;

// 8-byte little-endian length + header + data, as the format defines it.
std::string assemble(const std::string& header, const std::string& data) {
  std::string bytes(8, '\0');
  std::uint64_t length = header.size();
  for (int k = 0; k < 8; ++k) bytes[k] = static_cast<char>((length >> (8 * k)) & 0xff);
  return bytes + header + data;
}

std::string u16_bytes(std::initializer_list<std::uint16_t> values) {
  std::string bytes;
  for (std::uint16_t v : values) {
    bytes += static_cast<char>(v & 0xff);
    bytes += static_cast<char>(v >> 8);
  }
  return bytes;
}

std::string error_of(const std::filesystem::path& path) {
  try {
    SafetensorsFile file(path);
    for (const auto& entry : file.tensors()) file.read_float32(entry.name);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, F16WidensExactlyIncludingSubnormalsAndSpecials) {
  testing::TempDir dir;
  // 1, -2, 65504 (max), 2^-24 (smallest subnormal), 2^-14 (smallest normal), -0, +inf, 0.333251953125
  const std::string data = u16_bytes({0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0x3555});
  testing::write_bytes(dir / "h.safetensors",
                       assemble(R"({"w":{"dtype":"F16","shape":[2,4],"data_offsets":[0,16]}})", data));
  const io::Float32Tensor t = SafetensorsFile(dir / "h.safetensors").read_float32("w");
  ASSERT_EQ(t.shape, (std::vector<std::size_t>{2, 4}));
  EXPECT_EQ(t.source_dtype, "F16");
  EXPECT_EQ(t.values[0], 1.0f);
  EXPECT_EQ(t.values[1], -2.0f);
  EXPECT_EQ(t.values[2], 65504.0f);
  EXPECT_EQ(t.values[3], std::ldexp(1.0f, -24));
  EXPECT_EQ(t.values[4], std::ldexp(1.0f, -14));
  EXPECT_EQ(std::bit_cast<std::uint32_t>(t.values[5]), 0x80000000u);
  EXPECT_TRUE(std::isinf(t.values[6]) && t.values[6] > 0);
  EXPECT_EQ(t.values[7], 0.333251953125f);
}

TEST(Safetensors, Bf16IsTheHighHalfOfFloat32) {
  testing::TempDir dir;
  const std::string data = u16_bytes({0x3f80, 0xbfc0, 0x4049, 0x0001});
  testing::write_bytes(dir / "b.safetensors",
                       assemble(R"({"__metadata__":{"format":"pt"},"w":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}})",
                                data));
  SafetensorsFile file(dir / "b.safetensors");
  EXPECT_EQ(file.metadata().at("format"), "pt");
  const io::Float32Tensor t = file.read_float32("w");
  EXPECT_EQ(t.values[0], 1.0f);
  EXPECT_EQ(t.values[1], -1.5f);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(t.values[2]), 0x40490000u);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(t.values[3]), 0x00010000u);  // a float32 subnormal, kept exactly
}

TEST(Safetensors, F64IsAcceptedOnlyWhenExactlyFloat32) {
  testing::TempDir dir;
  const auto write = [&](double value) {
    std::string data(8, '\0');
    std::memcpy(data.data(), &value, 8);
    testing::write_bytes(dir / "d.safetensors",
                         assemble(R"({"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", data));
  };
  write(0.375);
  EXPECT_EQ(SafetensorsFile(dir / "d.safetensors").read_float32("w").values.at(0), 0.375f);
  write(0.1);
  EXPECT_NE(error_of(dir / "d.safetensors").find("not exactly a float32 value"), std::string::npos);
}

TEST(Safetensors, WriterRoundTripsAndIsDeterministic) {
  testing::TempDir dir;
  const std::vector<float> values = {1.5f, -0.0f, 3.25e-8f, -7.0f, 0.1f, 6.0f};
  const std::map<std::string, std::string> metadata = {{"source", "test"}, {"r_max", "0"}};
  io::write_safetensors(dir / "a.safetensors", {{"z.weight", "F32", {2, 3}, io::f32_bytes(values)},
                                                {"a.bias", "BF16", {1}, {0x80, 0x3f}}},
                        metadata, false);
  io::write_safetensors(dir / "b.safetensors", {{"a.bias", "BF16", {1}, {0x80, 0x3f}},
                                                {"z.weight", "F32", {2, 3}, io::f32_bytes(values)}},
                        metadata, false);
  EXPECT_EQ(testing::read_bytes(dir / "a.safetensors"), testing::read_bytes(dir / "b.safetensors"));
  const std::string bytes = testing::read_bytes(dir / "a.safetensors");
  std::uint64_t header = 0;
  std::memcpy(&header, bytes.data(), 8);
  EXPECT_EQ(header % 8, 0u) << "header padded to 8 bytes";
  SafetensorsFile file(dir / "a.safetensors");
  EXPECT_EQ(file.metadata(), metadata);
  ASSERT_EQ(file.tensors().size(), 2u);
  const io::Float32Tensor w = file.read_float32("z.weight");
  ASSERT_EQ(w.values.size(), values.size());
  for (std::size_t k = 0; k < values.size(); ++k)
    EXPECT_EQ(std::bit_cast<std::uint32_t>(w.values[k]), std::bit_cast<std::uint32_t>(values[k]));
  EXPECT_EQ(file.read_float32("a.bias").values.at(0), 1.0f);
  EXPECT_THROW(io::write_safetensors(dir / "a.safetensors", {}, {}, false), InputError) << "refuses to overwrite";
}

struct Malformed {
  const char* name;
  std::string bytes;
  const char* message;
};

TEST(Safetensors, MalformedFilesGiveOneClearLine) {
  testing::TempDir dir;
  const std::string f32x2(8, '\0');
  const std::vector<Malformed> cases = {
      {"short", "abc", "too short"},
      {"length_beyond_file", assemble("{}", "").substr(0, 8) + std::string("\xff", 1), "exceeds"},
      {"bad_json", assemble("{not json", ""), "not valid JSON"},
      {"not_object", assemble("[1,2]", ""), "not a JSON object"},
      {"unknown_dtype", assemble(R"({"w":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}})", f32x2),
       "unknown dtype 'F12'"},
      {"size_mismatch", assemble(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", f32x2),
       "needs 12 bytes"},
      {"beyond_data", assemble(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", f32x2),
       "reach beyond the 8 data bytes"},
      {"backwards", assemble(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", f32x2), "backwards"},
      {"hole", assemble(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", f32x2), "hole"},
      {"overlap",
       assemble(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                f32x2),
       "overlap"},
      {"trailing_bytes", assemble(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", f32x2),
       "cover 4 data bytes"},
      {"negative_shape", assemble(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", f32x2),
       "not a non-negative integer"},
      {"bad_offsets", assemble(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", f32x2), "data_offsets"},
      {"metadata_not_string", assemble(R"({"__metadata__":{"seed":1}})", ""), "not a string"},
      {"integer_weight", assemble(R"({"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", f32x2),
       "not a floating-point weight"},
  };
  for (const Malformed& c : cases) {
    const auto path = dir / (std::string(c.name) + ".safetensors");
    testing::write_bytes(path, c.bytes);
    const std::string message = error_of(path);
    EXPECT_NE(message.find(path.string()), std::string::npos) << c.name << ": " << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << c.name << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << c.name;
  }
}

}  // namespace
}  // namespace relpos
