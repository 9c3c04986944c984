// SHA-256 through OpenSSL, checked against the FIPS 180-2 example digests.
#include <gtest/gtest.h>

#include "relpos/errors.hpp"
#include "relpos/io/sha256.hpp"
#include "test_temp_dir.hpp"

namespace relpos {
namespace {

std::span<const unsigned char> bytes_of(const std::string& text) {
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

TEST(Sha256, MatchesTheStandardExamples) {
  EXPECT_EQ(io::sha256_bytes(bytes_of("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(io::sha256_bytes(bytes_of("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(io::sha256_bytes(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, OfAFileEqualsOfItsBytesAcrossReadBlocks) {
  testing::TempDir dir;
  std::string content((1 << 20) + 12345, '\0');
  for (std::size_t k = 0; k < content.size(); ++k) content[k] = static_cast<char>(k * 2654435761u >> 13);
  testing::write_bytes(dir / "blob", content);
  EXPECT_EQ(io::sha256_file(dir / "blob"), io::sha256_bytes(bytes_of(content)));
  testing::write_bytes(dir / "million_a", std::string(1000000, 'a'));
  EXPECT_EQ(io::sha256_file(dir / "million_a"), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, MissingFileIsAnInputError) {
  testing::TempDir dir;
  EXPECT_THROW(io::sha256_file(dir / "absent"), InputError);
}

}  // namespace
}  // namespace relpos
