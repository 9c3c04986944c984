#include "relpos/io/hdf5_file.hpp"


#include <algorithm>
#include <cmath>
#include <fstream>

#include <H5Cpp.h>
#include <fmt/format.h>

#include "relpos/errors.hpp"

namespace relpos::io {
namespace {

// The C++ API prints a stack for every exception unless told not to.
struct SilenceHdf5 {
  SilenceHdf5() { H5::Exception::dontPrint(); }
};
const SilenceHdf5 silence_hdf5;

std::string type_text(const H5::DataType& type) {
  const size_t bytes = type.getSize();
  switch (type.getClass()) {
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type.getId()) == H5T_SGN_2;
      return fmt::format("{}int{}", is_signed ? "" : "u", bytes * 8);
    }
    case H5T_FLOAT: return fmt::format("float{}", bytes * 8);
    case H5T_STRING: return "string";
    default: return "a non-numeric type";
  }
}

// Every link along `name` exists (H5Lexists on a missing parent is an error).
bool link_exists(hid_t file, const std::string& name) {
  std::size_t position = 0;
  while (true) {
    position = name.find('/', position + 1);
    const std::string prefix = name.substr(0, position);
    if (prefix.empty() || prefix == "/") {
      if (position == std::string::npos) return true;
      continue;
    }
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (position == std::string::npos) return true;
  }
}

std::vector<std::size_t> extent(const H5::DataSpace& space) {
  const int rank = space.getSimpleExtentNdims();
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) space.getSimpleExtentDims(dims.data());
  return {dims.begin(), dims.end()};
}

std::size_t count(const std::vector<std::size_t>& shape) {
  std::size_t total = 1;
  for (std::size_t d : shape) total *= d;
  return total;
}

// Chunks of about a megabyte, whole along the trailing dimensions.
std::vector<hsize_t> chunk_shape(const std::vector<std::size_t>& shape, std::size_t element_bytes) {
  const std::size_t target = std::max<std::size_t>(1, (std::size_t{1} << 20) / element_bytes);
  std::vector<hsize_t> chunk(shape.begin(), shape.end());
  std::size_t inner = count(shape);
  for (std::size_t d = 0; d < chunk.size() && inner > target; ++d) {
    const std::size_t rest = inner / std::max<std::size_t>(shape[d], 1);
    chunk[d] = std::clamp<std::size_t>(target / std::max<std::size_t>(rest, 1), 1, shape[d]);
    inner = rest * chunk[d];
  }
  return chunk;
}

// Closes an object opened through the C API, also when an exception leaves early.
class OpenObject {
 public:
  OpenObject(hid_t location, const std::string& name) : id_(H5Oopen(location, name.c_str(), H5P_DEFAULT)) {}
  ~OpenObject() {
    if (id_ >= 0) H5Oclose(id_);
  }
  OpenObject(const OpenObject&) = delete;
  OpenObject& operator=(const OpenObject&) = delete;
  hid_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
};

}  // namespace

Hdf5Reader::Hdf5Reader(const std::filesystem::path& path) : path_(path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw InputError(fmt::format("{}: no such file", path.string()));
  if (std::filesystem::is_directory(path, error)) throw InputError(fmt::format("{}: is a directory", path.string()));
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw InputError(fmt::format("{}: cannot be read", path.string()));
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InputError(fmt::format("{}: not an HDF5 file", path.string()));
  try {
    file_ = std::make_unique<H5::H5File>(path.string(), H5F_ACC_RDONLY);
  } catch (const H5::Exception&) {
    throw InputError(fmt::format("{}: cannot be opened as HDF5 (damaged or truncated?)", path.string()));
  }
}

Hdf5Reader::~Hdf5Reader() = default;

void Hdf5Reader::fail(const std::string& object, const std::string& problem) const {
  throw InputError(fmt::format("{}: {}: {}", path_.string(), object, problem));
}

bool Hdf5Reader::has_attribute(const std::string& name) const {
  try {
    return file_->attrExists(name);
  } catch (const H5::Exception&) {
    return false;
  }
}

std::string Hdf5Reader::string_attribute(const std::string& name) const {
  const std::string object = "attribute '" + name + "'";
  if (!has_attribute(name)) fail(object, "missing");
  try {
    H5::Attribute attribute = file_->openAttribute(name);
    if (attribute.getTypeClass() != H5T_STRING)
      fail(object, fmt::format("expected a string, found {}", type_text(attribute.getDataType())));
    if (attribute.getSpace().getSimpleExtentNpoints() != 1) fail(object, "expected a single string");
    std::string value;
    attribute.read(attribute.getStrType(), value);
    while (!value.empty() && value.back() == '\0') value.pop_back();
    return value;
  } catch (const H5::Exception& e) {
    fail(object, "cannot be read (" + e.getDetailMsg() + ")");
  }
}

std::int64_t Hdf5Reader::integer_attribute(const std::string& name) const {
  const std::string object = "attribute '" + name + "'";
  if (!has_attribute(name)) fail(object, "missing");
  try {
    H5::Attribute attribute = file_->openAttribute(name);
    if (attribute.getTypeClass() != H5T_INTEGER)
      fail(object, fmt::format("expected an integer, found {}", type_text(attribute.getDataType())));
    if (attribute.getSpace().getSimpleExtentNpoints() != 1) fail(object, "expected a single integer");
    std::int64_t value = 0;
    attribute.read(H5::PredType::NATIVE_INT64, &value);
    return value;
  } catch (const H5::Exception& e) {
    fail(object, "cannot be read (" + e.getDetailMsg() + ")");
  }
}

bool Hdf5Reader::has_dataset(const std::string& name) const {
  if (!link_exists(file_->getId(), name)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name(file_->getId(), name.c_str(), &info, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_DATASET;
}

std::vector<std::size_t> Hdf5Reader::dataset_shape(const std::string& name) const {
  if (!has_dataset(name)) fail(name, "missing dataset");
  try {
    return extent(file_->openDataSet(name).getSpace());
  } catch (const H5::Exception& e) {
    fail(name, "cannot be read (" + e.getDetailMsg() + ")");
  }
}

IntegerData Hdf5Reader::read_integers(const std::string& name) const {
  if (!has_dataset(name)) fail(name, "missing dataset");
  try {
    H5::DataSet dataset = file_->openDataSet(name);
    const H5::DataType type = dataset.getDataType();
    if (type.getClass() != H5T_INTEGER) fail(name, fmt::format("expected an integer dataset, found {}", type_text(type)));
    if (H5Tget_sign(type.getId()) == H5T_SGN_NONE && type.getSize() > 4)
      fail(name, fmt::format("{} values may not fit int64; store int32 or int64", type_text(type)));
    IntegerData data;
    data.shape = extent(dataset.getSpace());
    data.values.resize(count(data.shape));
    if (!data.values.empty()) dataset.read(data.values.data(), H5::PredType::NATIVE_INT64);
    return data;
  } catch (const H5::Exception& e) {
    fail(name, "cannot be read (" + e.getDetailMsg() + ")");
  }
}

FloatData Hdf5Reader::read_float32(const std::string& name) const {
  if (!has_dataset(name)) fail(name, "missing dataset");
  try {
    H5::DataSet dataset = file_->openDataSet(name);
    const H5::DataType type = dataset.getDataType();
    if (type.getClass() != H5T_FLOAT || type.getSize() != 4)
      fail(name, fmt::format("expected float32, found {}", type_text(type)));
    FloatData data;
    data.shape = extent(dataset.getSpace());
    data.values.resize(count(data.shape));
    if (!data.values.empty()) dataset.read(data.values.data(), H5::PredType::NATIVE_FLOAT);
    return data;
  } catch (const H5::Exception& e) {
    fail(name, "cannot be read (" + e.getDetailMsg() + ")");
  }
}

FloatData Hdf5Reader::read_float_exact(const std::string& name, std::string* stored_type) const {
  if (!has_dataset(name)) fail(name, "missing dataset");
  try {
    H5::DataSet dataset = file_->openDataSet(name);
    const H5::DataType type = dataset.getDataType();
    if (type.getClass() != H5T_FLOAT) fail(name, fmt::format("expected a floating-point dataset, found {}", type_text(type)));
    if (stored_type != nullptr) *stored_type = type_text(type);
    size_t sign_position = 0, exponent_position = 0, exponent_bits = 0, mantissa_position = 0, mantissa_bits = 0;
    H5Tget_fields(type.getId(), &sign_position, &exponent_position, &exponent_bits, &mantissa_position, &mantissa_bits);
    FloatData data;
    data.shape = extent(dataset.getSpace());
    data.values.resize(count(data.shape));
    if (exponent_bits <= 8 && mantissa_bits <= 23) {  // float32 or narrower: widening is exact
      if (!data.values.empty()) dataset.read(data.values.data(), H5::PredType::NATIVE_FLOAT);
      return data;
    }
    std::vector<double> wide(data.values.size());
    if (!wide.empty()) dataset.read(wide.data(), H5::PredType::NATIVE_DOUBLE);
    for (std::size_t k = 0; k < wide.size(); ++k) {
      data.values[k] = static_cast<float>(wide[k]);
      if (!std::isnan(wide[k]) && static_cast<double>(data.values[k]) != wide[k])
        fail(name, fmt::format("{} element {} = {:.17g} is not exactly a float32 value (refusing to round)",
                               type_text(type), k, wide[k]));
    }
    return data;
  } catch (const H5::Exception& e) {
    fail(name, "cannot be read (" + e.getDetailMsg() + ")");
  }
}

std::vector<std::string> Hdf5Reader::dataset_names() const {
  std::vector<std::string> names;
  const auto visit = [](hid_t, const char* name, const H5O_info_t* info, void* data) -> herr_t {
    if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(data)->push_back(std::string("/") + name);
    return 0;
  };
  H5Ovisit(file_->getId(), H5_INDEX_NAME, H5_ITER_INC, visit, &names);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Hdf5Reader::object_string_attribute(const std::string& object, const std::string& name) const {
  if (!link_exists(file_->getId(), object)) return {};
  try {
    const OpenObject opened(file_->getId(), object);
    if (!opened.valid()) return {};
    std::string value;
    if (H5Aexists(opened.id(), name.c_str()) > 0) {
      H5::Attribute attribute(H5Aopen(opened.id(), name.c_str(), H5P_DEFAULT));
      if (attribute.getTypeClass() == H5T_STRING) attribute.read(attribute.getStrType(), value);
    }
    while (!value.empty() && value.back() == '\0') value.pop_back();
    return value;
  } catch (const H5::Exception& e) {
    fail(object + "/@" + name, "cannot be read (" + e.getDetailMsg() + ")");
  }
}

Hdf5Writer::Hdf5Writer(const std::filesystem::path& path, Storage storage) : path_(path), storage_(storage) {
  try {
    H5::FileCreatPropList creation;
    // The root group's object header would otherwise carry a timestamp.
    H5Pset_obj_track_times(creation.getId(), false);
    file_ = std::make_unique<H5::H5File>(path.string(), H5F_ACC_TRUNC, creation);
  } catch (const H5::Exception& e) {
    throw InputError(fmt::format("{}: cannot be created ({})", path.string(), e.getDetailMsg()));
  }
}

Hdf5Writer::~Hdf5Writer() {
  try {
    if (file_) file_->close();
  } catch (...) {
  }
}

void Hdf5Writer::close() {
  try {
    if (file_) file_->close();
    file_.reset();
  } catch (const H5::Exception& e) {
    throw RuntimeFailure(fmt::format("{}: cannot be written ({})", path_.string(), e.getDetailMsg()));
  }
}

namespace {
H5::StrType string_type(const std::string& value) {
  H5::StrType type(H5::PredType::C_S1, value.size() + 1);
  type.setStrpad(H5T_STR_NULLTERM);
  type.setCset(H5T_CSET_UTF8);
  return type;
}
}  // namespace

void Hdf5Writer::string_attribute(const std::string& name, const std::string& value) {
  try {
    const H5::StrType type = string_type(value);
    file_->createAttribute(name, type, H5::DataSpace(H5S_SCALAR)).write(type, value.c_str());
  } catch (const H5::Exception& e) {
    throw RuntimeFailure(fmt::format("{}: attribute '{}': cannot be written ({})", path_.string(), name,
                                     e.getDetailMsg()));
  }
}

void Hdf5Writer::integer_attribute(const std::string& name, std::int64_t value) {
  try {
    file_->createAttribute(name, H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR))
        .write(H5::PredType::NATIVE_INT64, &value);
  } catch (const H5::Exception& e) {
    throw RuntimeFailure(fmt::format("{}: attribute '{}': cannot be written ({})", path_.string(), name,
                                     e.getDetailMsg()));
  }
}

void Hdf5Writer::object_string_attribute(const std::string& object, const std::string& name, const std::string& value) {
  try {
    const OpenObject opened(file_->getId(), object);
    if (!opened.valid()) throw RuntimeFailure(fmt::format("{}: {}: no such object", path_.string(), object));
    const H5::StrType type = string_type(value);
    const hid_t attribute = H5Acreate2(opened.id(), name.c_str(), type.getId(), H5::DataSpace(H5S_SCALAR).getId(),
                                       H5P_DEFAULT, H5P_DEFAULT);
    const herr_t status = attribute < 0 ? -1 : H5Awrite(attribute, type.getId(), value.c_str());
    if (attribute >= 0) H5Aclose(attribute);
    if (status < 0) throw RuntimeFailure(fmt::format("{}: {}/@{}: cannot be written", path_.string(), object, name));
  } catch (const H5::Exception& e) {
    throw RuntimeFailure(fmt::format("{}: {}/@{}: cannot be written ({})", path_.string(), object, name,
                                     e.getDetailMsg()));
  }
}

void Hdf5Writer::create_group(const std::string& name) {
  const hid_t creation = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_obj_track_times(creation, false);
  const hid_t group = H5Gcreate2(file_->getId(), name.c_str(), H5P_DEFAULT, creation, H5P_DEFAULT);
  H5Pclose(creation);
  if (group < 0) throw RuntimeFailure(fmt::format("{}: group {}: cannot be created", path_.string(), name));
  H5Gclose(group);
}

namespace {
template <class T>
void write_dataset(H5::H5File& file, const std::filesystem::path& path, const std::string& name,
                   const std::vector<std::size_t>& shape, const T* data, const H5::PredType& file_type,
                   const H5::PredType& memory_type, Storage storage) {
  try {
    const std::vector<hsize_t> dims(shape.begin(), shape.end());
    H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
    H5::DSetCreatPropList creation;
    H5Pset_obj_track_times(creation.getId(), false);
    // A chunk may not exceed a fixed extent, so empty datasets stay contiguous.
    if (storage == Storage::compressed && count(shape) > 0) {
      const std::vector<hsize_t> chunk = chunk_shape(shape, sizeof(T));
      creation.setChunk(static_cast<int>(chunk.size()), chunk.data());
      creation.setShuffle();
      creation.setDeflate(4);
    }
    H5::DataSet dataset = file.createDataSet(name, file_type, space, creation);
    if (count(shape) > 0) dataset.write(data, memory_type);
  } catch (const H5::Exception& e) {
    throw RuntimeFailure(fmt::format("{}: {}: cannot be written ({})", path.string(), name, e.getDetailMsg()));
  }
}
}  // namespace

void Hdf5Writer::write_int64(const std::string& name, const std::vector<std::size_t>& shape, const std::int64_t* data) {
  write_dataset(*file_, path_, name, shape, data, H5::PredType::STD_I64LE, H5::PredType::NATIVE_INT64, storage_);
}

void Hdf5Writer::write_int32(const std::string& name, const std::vector<std::size_t>& shape, const std::int32_t* data) {
  write_dataset(*file_, path_, name, shape, data, H5::PredType::STD_I32LE, H5::PredType::NATIVE_INT32, storage_);
}

void Hdf5Writer::write_float32(const std::string& name, const std::vector<std::size_t>& shape, const float* data) {
  write_dataset(*file_, path_, name, shape, data, H5::PredType::IEEE_F32LE, H5::PredType::NATIVE_FLOAT, storage_);
}

}  // namespace relpos::io
