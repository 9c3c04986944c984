#pragma once
// Thin, error-checked access to HDF5 files through the HDF5 C++ API. Every
// failure becomes an InputError "FILE: OBJECT: problem" (one line).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace H5 {
class H5File;
}

namespace relpos::io {

struct IntegerData {
  std::vector<std::size_t> shape;
  std::vector<std::int64_t> values;
};

struct FloatData {
  std::vector<std::size_t> shape;
  std::vector<float> values;
};

enum class NumberKind { integer, floating, other };

class Hdf5Reader {
 public:
  explicit Hdf5Reader(const std::filesystem::path& path);
  ~Hdf5Reader();
  Hdf5Reader(const Hdf5Reader&) = delete;
  Hdf5Reader& operator=(const Hdf5Reader&) = delete;

  const std::filesystem::path& path() const { return path_; }

  bool has_attribute(const std::string& name) const;
  /// Fixed- or variable-length string attribute on the root group.
  std::string string_attribute(const std::string& name) const;
  /// Integer attribute of any width on the root group.
  std::int64_t integer_attribute(const std::string& name) const;

  bool has_dataset(const std::string& name) const;
  std::vector<std::size_t> dataset_shape(const std::string& name) const;
  /// Any signed integer type, or unsigned up to 32 bits, widened to int64.
  IntegerData read_integers(const std::string& name) const;
  /// float32 only: other float widths are refused rather than rounded.
  FloatData read_float32(const std::string& name) const;
  /// A floating dataset as float32 without rounding: float32 as is, narrower
  /// floats (float16) widened exactly, float64 only when every value is a
  /// float32 value. `stored_type` receives the file's type ("float16", ...).
  FloatData read_float_exact(const std::string& name, std::string* stored_type = nullptr) const;
  /// Paths of every dataset in the file ("/a/b"), sorted.
  std::vector<std::string> dataset_names() const;
  /// String attribute on a dataset or group (empty when absent).
  std::string object_string_attribute(const std::string& object, const std::string& name) const;

  /// "FILE: OBJECT: problem" as an InputError.
  [[noreturn]] void fail(const std::string& object, const std::string& problem) const;

 private:
  std::filesystem::path path_;
  std::unique_ptr<H5::H5File> file_;
};

/// How datasets are stored: compressed for files that are kept, plain for
/// files read once (the candidate protocol), where deflate is pure overhead.
enum class Storage { compressed, plain };

/// Writes files whose bytes depend only on their content: no object
/// timestamps; datasets chunked and compressed (shuffle + deflate) unless plain.
class Hdf5Writer {
 public:
  /// Creates (truncates) `path`.
  explicit Hdf5Writer(const std::filesystem::path& path, Storage storage = Storage::compressed);
  ~Hdf5Writer();
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;

  void string_attribute(const std::string& name, const std::string& value);
  void integer_attribute(const std::string& name, std::int64_t value);
  /// Attribute on an existing dataset or group.
  void object_string_attribute(const std::string& object, const std::string& name, const std::string& value);
  void create_group(const std::string& name);
  void write_int64(const std::string& name, const std::vector<std::size_t>& shape, const std::int64_t* data);
  void write_int32(const std::string& name, const std::vector<std::size_t>& shape, const std::int32_t* data);
  void write_float32(const std::string& name, const std::vector<std::size_t>& shape, const float* data);
  /// Flushes and closes; the destructor closes too but cannot report errors.
  void close();

 private:
  std::filesystem::path path_;
  std::unique_ptr<H5::H5File> file_;
  Storage storage_ = Storage::compressed;
};

}  // namespace relpos::io
