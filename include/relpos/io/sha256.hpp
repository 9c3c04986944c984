#pragma once
// SHA-256 of files and byte strings, through OpenSSL's EVP interface.
#include <filesystem>
#include <span>
#include <string>

namespace relpos::io {

/// Lower-case hex digest of a file's bytes; InputError when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

/// Lower-case hex digest of `bytes`.
std::string sha256_bytes(std::span<const unsigned char> bytes);

}  // namespace relpos::io
