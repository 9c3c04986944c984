#include "relpos/io/fixture.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "relpos/bf16.hpp"
#include "relpos/errors.hpp"
#include "relpos/io/class_map.hpp"
#include "relpos/io/atomic_file.hpp"
#include "relpos/io/hdf5_file.hpp"
#include "relpos/version.hpp"
#include "relpos/io/shape_text.hpp"

namespace relpos {
namespace {

using io::shape_text;

constexpr const char* kPeriodDataset = "/inputs/cyclic_period";
constexpr const char* kGradOutputDataset = "/inputs/grad_output";
constexpr const char* kGradWeightDataset = "/expected/grad_weight";

std::int32_t small_integer(const io::Hdf5Reader& file, const std::string& name) {
  const std::int64_t value = file.integer_attribute(name);
  if (value < std::numeric_limits<std::int32_t>::min() || value > std::numeric_limits<std::int32_t>::max())
    file.fail("attribute '" + name + "'", fmt::format("{} is out of range", value));
  return static_cast<std::int32_t>(value);
}

FixtureMetadata read_metadata(const io::Hdf5Reader& file) {
  const std::string format = file.string_attribute("format");
  if (format != kFixtureFormat)
    file.fail("attribute 'format'", fmt::format("'{}' is not '{}'", format, kFixtureFormat));
  const std::int64_t version = file.integer_attribute("format_version");
  if (version != kFixtureVersion && version != kFixtureVersion2)
    file.fail("attribute 'format_version'", fmt::format("version {} is not supported (this reader reads {} and {})",
                                                        version, kFixtureVersion, kFixtureVersion2));
  FixtureMetadata meta;
  const auto field = [&](const char* name, auto&& parse) {
    try {
      return parse(file.string_attribute(name));
    } catch (const InputError& e) {
      const std::string message = e.what();
      if (message.starts_with(file.path().string())) throw;
      file.fail(std::string("attribute '") + name + "'", message);
    }
  };
  meta.config.variant = field("variant", [](const std::string& s) { return parse_variant(s); });
  meta.config.r_max = small_integer(file, "r_max");
  meta.config.s_max = small_integer(file, "s_max");
  meta.config.c_z = small_integer(file, "c_z");
  try {
    validate(meta.config);
  } catch (const InputError& e) {
    file.fail("attributes r_max/s_max/c_z", e.what());
  }
  meta.config.precision = field("precision", [](const std::string& s) { return parse_precision(s); });
  meta.policy = field("policy", [](const std::string& s) { return Policy::parse(s); });
  meta.source = file.string_attribute("source");
  meta.source_sha256 = file.string_attribute("source_sha256");
  meta.weight_key = file.string_attribute("weight_key");
  meta.generator = file.string_attribute("generator");
  if (file.has_attribute("cyclic"))
    meta.config.cyclic = field("cyclic", [](const std::string& s) { return parse_cyclic(s); });
  if (file.has_attribute("model")) meta.model = file.string_attribute("model");
  if (version == kFixtureVersion) {
    const auto needs_v2 = [&](const char* what) {
      file.fail("attribute 'format_version'", fmt::format("is 1 but the file uses {}, which needs format_version 2",
                                                          what));
    };
    if (file.has_attribute("cyclic")) needs_v2("the attribute 'cyclic'");
    if (file.has_attribute("model")) needs_v2("the attribute 'model'");
    if (meta.config.precision == Precision::bf16_autocast) needs_v2("precision 'bf16-autocast'");
    if (file.has_dataset(kPeriodDataset)) needs_v2(kPeriodDataset);
    if (file.has_dataset(kGradOutputDataset)) needs_v2(kGradOutputDataset);
  }
  return meta;
}

// The shape of /inputs/* ([N] or [B, N]), checked: all five equal, N and B x N
// within kMaxTokens. Nothing is read yet.
std::vector<std::size_t> input_shape(const io::Hdf5Reader& file) {
  std::vector<std::size_t> first_shape;
  for (IdField field : kIdFields) {
    const std::string name = fmt::format("/inputs/{}", to_string(field));
    const std::vector<std::size_t> shape = file.dataset_shape(name);
    if (shape.size() != 1 && shape.size() != 2)
      file.fail(name, fmt::format("expected shape [N] or [B, N], found {}", shape_text(shape)));
    if (field == IdField::asym_id) {
      first_shape = shape;
    } else if (shape != first_shape) {
      file.fail(name, fmt::format("shape {} differs from /inputs/asym_id {}", shape_text(shape), shape_text(first_shape)));
    }
    if (shape.back() > static_cast<std::size_t>(kMaxTokens))
      file.fail(name, fmt::format("N = {} exceeds the supported maximum {}", shape.back(), kMaxTokens));
    if (shape.size() == 2 && shape[0] > static_cast<std::size_t>(kMaxTokens) / std::max<std::size_t>(shape[1], 1))
      file.fail(name, fmt::format("B x N = {} x {} token rows exceed the supported maximum {}", shape[0], shape[1],
                                  kMaxTokens));
  }
  return first_shape;
}

Layout read_layout(const io::Hdf5Reader& file, const std::vector<std::size_t>& shape, Cyclic cyclic) {
  Layout layout;
  layout.batched = shape.size() == 2;
  const std::size_t batch = layout.batched ? shape[0] : 1;
  const auto read_into = [&](const std::string& name, IdArray& target) {
    io::IntegerData data = file.read_integers(name);
    target.resize({batch, shape.back()});
    std::copy(data.values.begin(), data.values.end(), target.begin());
  };
  for (IdField field : kIdFields) read_into(fmt::format("/inputs/{}", to_string(field)), layout.ids(field));
  const bool has_periods = file.has_dataset(kPeriodDataset);
  if (cyclic == Cyclic::boltz && !has_periods)
    file.fail(kPeriodDataset, "missing: cyclic is 'boltz', which needs every token's period (0 = not cyclic)");
  if (cyclic == Cyclic::none && has_periods)
    file.fail(kPeriodDataset, "present but cyclic is 'none' (set the attribute cyclic = 'boltz' or drop the dataset)");
  if (has_periods) {
    const std::vector<std::size_t> period_shape = file.dataset_shape(kPeriodDataset);
    if (period_shape != shape)
      file.fail(kPeriodDataset, fmt::format("shape {} differs from /inputs/asym_id {}", shape_text(period_shape),
                                            shape_text(shape)));
    read_into(kPeriodDataset, layout.cyclic_period);
    try {
      validate(layout);
    } catch (const InputError& e) {
      file.fail(kPeriodDataset, e.what());
    }
  }
  return layout;
}

Weights read_weights(const io::Hdf5Reader& file, const Config& config) {
  const std::string name = "/weights/linear_no_bias";
  const std::vector<std::size_t> shape = file.dataset_shape(name);
  if (shape.size() != 2) file.fail(name, fmt::format("expected shape [c_z, F], found {}", shape_text(shape)));
  if (static_cast<std::int64_t>(shape[0]) != config.c_z || static_cast<std::int64_t>(shape[1]) != config.feature_width())
    file.fail(name, fmt::format("shape {} does not match c_z = {} and F = 4*r_max + 2*s_max + 7 = {}",
                                shape_text(shape), config.c_z, config.feature_width()));
  io::FloatData data = file.read_float32(name);
  Weights weights(std::array<std::size_t, 2>{data.shape[0], data.shape[1]});
  std::copy(data.values.begin(), data.values.end(), weights.begin());
  try {
    validate(weights, config);
  } catch (const InputError& e) {
    file.fail(name, e.what());
  }
  return weights;
}

// [N, N, c_z] or [B, N, N, c_z] for inputs of shape [N] or [B, N].
std::vector<std::size_t> expected_shape(const std::vector<std::size_t>& inputs, const Config& config) {
  std::vector<std::size_t> shape(inputs.begin(), inputs.end());
  shape.push_back(inputs.back());
  shape.push_back(static_cast<std::size_t>(config.c_z));
  return shape;
}

std::vector<std::size_t> input_shape_of(const Layout& layout) {
  const auto n = static_cast<std::size_t>(layout.tokens());
  if (layout.batched) return {static_cast<std::size_t>(layout.batch()), n};
  return {n};
}

void check_bf16(const io::Hdf5Reader& file, const std::string& name, const std::vector<float>& values) {
  const auto bad = std::find_if(values.begin(), values.end(), [](float v) {
    return !std::isnan(v) && float_bits(v) != float_bits(round_to_bf16(v));
  });
  if (bad != values.end())
    file.fail(name, fmt::format("precision is a bf16 regime but element {} = {:.9g} is not a bf16 value",
                                bad - values.begin(), *bad));
}

constexpr const char* kExpectedGroup = "/expected";
constexpr const char* kEncodingAttribute = "encoding";

// The encoding the file declares; "full" when /expected has no encoding attribute.
OutputEncoding stored_encoding(const io::Hdf5Reader& file) {
  const std::string declared = file.object_string_attribute(kExpectedGroup, kEncodingAttribute);
  if (declared.empty()) return OutputEncoding::full;
  try {
    return parse_output_encoding(declared);
  } catch (const InputError& e) {
    file.fail(std::string(kExpectedGroup) + "/@" + kEncodingAttribute, e.what());
  }
}

bool has_expected(const io::Hdf5Reader& file, OutputEncoding encoding) {
  return file.has_dataset("/expected/output") || encoding == OutputEncoding::class_map;
}

// The pair tensor the inputs need, allocated only once its size is known to be sane.
xt::xtensor<float, 4> allocate_expected(const io::Hdf5Reader& file, const std::string& name, const Layout& layout,
                                        const Config& config) {
  try {
    validate_output_size(layout, config);
  } catch (const InputError& e) {
    file.fail(name, e.what());
  }
  const std::array<std::size_t, 4> shape{static_cast<std::size_t>(layout.batch()),
                                         static_cast<std::size_t>(layout.tokens()),
                                         static_cast<std::size_t>(layout.tokens()), static_cast<std::size_t>(config.c_z)};
  try {
    return xt::xtensor<float, 4>(shape);
  } catch (const std::bad_alloc&) {
    file.fail(name, fmt::format("the inputs need a {} float32 output ({:.3g} GB), which cannot be allocated here",
                                shape_text(shape), 4e-9 * double(shape[0] * shape[1] * shape[2] * shape[3])));
  }
}

// The expected datasets' shapes against the inputs' (`inputs`: [N] or [B, N]),
// before anything is allocated or read.
void check_expected_shapes(const io::Hdf5Reader& file, OutputEncoding encoding, const std::vector<std::size_t>& inputs,
                           const Config& config) {
  const std::vector<std::size_t> want = expected_shape(inputs, config);
  if (encoding == OutputEncoding::class_map) {
    if (file.has_dataset("/expected/output"))
      file.fail("/expected/output", "present although /expected declares encoding 'class-map' (ambiguous)");
    const std::string classes_name = "/expected/classes", rows_name = "/expected/rows";
    const std::vector<std::size_t> want_classes(want.begin(), want.end() - 1);
    const std::vector<std::size_t> classes_shape = file.dataset_shape(classes_name);
    if (classes_shape != want_classes)
      file.fail(classes_name, fmt::format("shape {} but the inputs need {}", shape_text(classes_shape),
                                          shape_text(want_classes)));
    const std::vector<std::size_t> rows_shape = file.dataset_shape(rows_name);
    std::size_t pairs = 1;
    for (std::size_t extent : want_classes) pairs *= extent;  // bounded: B x N <= kMaxTokens, N <= kMaxTokens
    if (rows_shape.size() != 2 || static_cast<std::int64_t>(rows_shape[1]) != config.c_z || rows_shape[0] > pairs)
      file.fail(rows_name, fmt::format("expected shape [K, c_z = {}] with K at most the number of pairs, found {}",
                                       config.c_z, shape_text(rows_shape)));
    return;
  }
  const std::string name = "/expected/output";
  const std::vector<std::size_t> shape = file.dataset_shape(name);
  if (shape != want)
    file.fail(name, fmt::format("shape {} but the inputs and c_z need {}", shape_text(shape), shape_text(want)));
}

// Reads what check_expected_shapes() accepted.
xt::xtensor<float, 4> read_expected(const io::Hdf5Reader& file, OutputEncoding encoding, const Layout& layout,
                                    const Config& config) {
  const bool bf16 = rounds_result(config.precision);
  if (encoding == OutputEncoding::class_map) {
    const std::string classes_name = "/expected/classes", rows_name = "/expected/rows";
    xt::xtensor<float, 4> expected = allocate_expected(file, classes_name, layout, config);
    io::IntegerData classes = file.read_integers(classes_name);
    io::FloatData rows = file.read_float32(rows_name);
    if (bf16) check_bf16(file, rows_name, rows.values);
    const std::int64_t bad = io::decode_class_map(classes.values, rows.values, static_cast<std::size_t>(config.c_z),
                                                  {expected.data(), expected.size()});
    if (bad >= 0)
      file.fail(classes_name, fmt::format("element {} = {} is not a row of /expected/rows (K = {})", bad,
                                          classes.values[static_cast<std::size_t>(bad)], rows.shape[0]));
    return expected;
  }
  const std::string name = "/expected/output";
  xt::xtensor<float, 4> expected = allocate_expected(file, name, layout, config);
  io::FloatData data = file.read_float32(name);
  if (bf16) check_bf16(file, name, data.values);
  std::copy(data.values.begin(), data.values.end(), expected.begin());
  return expected;
}

// dW [c_z, F] from `name`, its shape checked first.
GradWeight read_grad_weight(const io::Hdf5Reader& file, const Config& config) {
  const std::vector<std::size_t> shape = file.dataset_shape(kGradWeightDataset);
  const std::vector<std::size_t> want{static_cast<std::size_t>(config.c_z), static_cast<std::size_t>(config.feature_width())};
  if (shape != want)
    file.fail(kGradWeightDataset, fmt::format("shape {} but W is {}", shape_text(shape), shape_text(want)));
  io::FloatData data = file.read_float32(kGradWeightDataset);
  GradWeight dw(std::array<std::size_t, 2>{want[0], want[1]});
  std::copy(data.values.begin(), data.values.end(), dw.begin());
  return dw;
}

// Format 2's backward: G when present, and dW wherever /expected values are read.
void read_gradient(const io::Hdf5Reader& file, bool with_expected, const std::vector<std::size_t>& inputs,
                   Fixture& fixture) {
  const Config& config = fixture.meta.config;
  const bool has_g = file.has_dataset(kGradOutputDataset), has_dw = file.has_dataset(kGradWeightDataset);
  if (has_dw && !has_g) file.fail(kGradWeightDataset, fmt::format("present without {}", kGradOutputDataset));
  if (!has_g) return;
  const std::vector<std::size_t> want = expected_shape(inputs, config), shape = file.dataset_shape(kGradOutputDataset);
  if (shape != want)
    file.fail(kGradOutputDataset, fmt::format("shape {} but the output is {}", shape_text(shape), shape_text(want)));
  if (with_expected && !has_dw)
    file.fail(kGradWeightDataset, fmt::format("missing: {} asks for the weight gradient", kGradOutputDataset));
  xt::xtensor<float, 4> g = allocate_expected(file, kGradOutputDataset, fixture.layout, config);
  io::FloatData data = file.read_float32(kGradOutputDataset);
  std::copy(data.values.begin(), data.values.end(), g.begin());
  fixture.grad_output = std::move(g);
  if (with_expected) fixture.grad_weight = read_grad_weight(file, config);
}

}  // namespace

Fixture read_fixture(const std::filesystem::path& path, const ReadOptions& options) {
  const io::Hdf5Reader file(path);
  Fixture fixture;
  fixture.meta = read_metadata(file);
  // Every shape is checked before any data is read: a damaged file must not
  // make the reader allocate what its header claims.
  const std::vector<std::size_t> inputs = input_shape(file);
  const OutputEncoding encoding = stored_encoding(file);
  const bool with_expected = options.require_expected || has_expected(file, encoding);
  if (with_expected) check_expected_shapes(file, encoding, inputs, fixture.meta.config);
  fixture.layout = read_layout(file, inputs, fixture.meta.config.cyclic);
  fixture.weights = read_weights(file, fixture.meta.config);
  if (with_expected) {
    fixture.encoding = encoding;
    fixture.expected = read_expected(file, encoding, fixture.layout, fixture.meta.config);
  }
  read_gradient(file, with_expected, inputs, fixture);
  return fixture;
}

xt::xtensor<float, 4> read_expected_output(const std::filesystem::path& path, const Fixture& reference) {
  const io::Hdf5Reader file(path);
  const OutputEncoding encoding = stored_encoding(file);
  check_expected_shapes(file, encoding, input_shape_of(reference.layout), reference.meta.config);
  return read_expected(file, encoding, reference.layout, reference.meta.config);
}

GradWeight read_expected_grad_weight(const std::filesystem::path& path, const Fixture& reference) {
  const io::Hdf5Reader file(path);
  if (!file.has_dataset(kGradWeightDataset))
    file.fail(kGradWeightDataset, "missing: the input held /inputs/grad_output, which asks for the weight gradient");
  return read_grad_weight(file, reference.meta.config);
}

std::int64_t Fixture::format_version() const {
  const bool v2 = meta.config.cyclic != Cyclic::none || meta.config.precision == Precision::bf16_autocast ||
                  !meta.model.empty() || grad_output.has_value();
  return v2 ? kFixtureVersion2 : kFixtureVersion;
}

void write_fixture(const std::filesystem::path& path, const Fixture& fixture, const WriteOptions& options) {
  const io::Overwrite overwrite = options.overwrite ? io::Overwrite::allow : io::Overwrite::refuse;
  io::refuse_existing(path, overwrite);
  validate(fixture.problem());
  if (fixture.grad_weight && !fixture.grad_output)
    throw InputError(fmt::format("{}: a weight gradient without the grad_output it belongs to", path.string()));
  if (fixture.grad_output) validate_grad_output(fixture.problem(), {fixture.grad_output->data(), fixture.grad_output->size()});
  const FixtureMetadata& meta = fixture.meta;
  const Layout& layout = fixture.layout;
  io::write_atomically(path, overwrite, [&](const std::filesystem::path& temporary) {
    io::Hdf5Writer file(temporary, options.compress ? io::Storage::compressed : io::Storage::plain);
    file.string_attribute("format", kFixtureFormat);
    file.integer_attribute("format_version", fixture.format_version());
    file.string_attribute("variant", std::string(to_string(meta.config.variant)));
    file.integer_attribute("r_max", meta.config.r_max);
    file.integer_attribute("s_max", meta.config.s_max);
    file.integer_attribute("c_z", meta.config.c_z);
    file.string_attribute("precision", std::string(to_string(meta.config.precision)));
    file.string_attribute("policy", meta.policy.str());
    file.string_attribute("source", meta.source);
    file.string_attribute("source_sha256", meta.source_sha256);
    file.string_attribute("weight_key", meta.weight_key);
    file.string_attribute("generator", meta.generator.empty() ? generator_string() : meta.generator);
    if (fixture.format_version() == kFixtureVersion2) {
      file.string_attribute("cyclic", std::string(to_string(meta.config.cyclic)));
      if (!meta.model.empty()) file.string_attribute("model", meta.model);
    }

    file.create_group("/inputs");
    std::vector<std::size_t> id_shape{static_cast<std::size_t>(layout.tokens())};
    if (layout.batched) id_shape.insert(id_shape.begin(), static_cast<std::size_t>(layout.batch()));
    const auto write_ids = [&](const std::string& name, const IdArray& ids) {
      if (options.int32_ids) {
        std::vector<std::int32_t> narrow(ids.size());
        for (std::size_t k = 0; k < ids.size(); ++k) {
          const std::int64_t v = ids.data()[k];
          if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max())
            throw InputError(fmt::format("{}: {}: value {} does not fit int32", path.string(), name, v));
          narrow[k] = static_cast<std::int32_t>(v);
        }
        file.write_int32(name, id_shape, narrow.data());
      } else {
        file.write_int64(name, id_shape, ids.data());
      }
    };
    for (IdField field : kIdFields) write_ids(fmt::format("/inputs/{}", to_string(field)), layout.ids(field));
    // Format 2: every token's period (0 where none was given) exactly when cyclic = boltz.
    if (meta.config.cyclic == Cyclic::boltz) write_ids(kPeriodDataset, layout.cyclic_period);
    if (fixture.grad_output)
      file.write_float32(kGradOutputDataset, expected_shape(input_shape_of(layout), meta.config),
                         fixture.grad_output->data());
    file.create_group("/weights");
    file.write_float32("/weights/linear_no_bias", {fixture.weights.shape(0), fixture.weights.shape(1)},
                       fixture.weights.data());
    if (fixture.expected && fixture.encoding == OutputEncoding::class_map) {
      const std::vector<std::size_t> shape = expected_shape(input_shape_of(layout), meta.config);
      const io::ClassMap map = io::encode_class_map({fixture.expected->data(), fixture.expected->size()},
                                                    static_cast<std::size_t>(meta.config.c_z));
      file.create_group(kExpectedGroup);
      file.object_string_attribute(kExpectedGroup, kEncodingAttribute, std::string(to_string(fixture.encoding)));
      file.write_int32("/expected/classes", {shape.begin(), shape.end() - 1}, map.classes.data());
      file.write_float32("/expected/rows", {map.row_count(), map.channels}, map.rows.data());
    } else if (fixture.expected) {
      file.create_group(kExpectedGroup);
      file.write_float32("/expected/output", expected_shape(input_shape_of(layout), meta.config),
                         fixture.expected->data());
    }
    if (fixture.grad_weight) {
      if (!fixture.expected) file.create_group(kExpectedGroup);
      file.write_float32(kGradWeightDataset, {fixture.grad_weight->shape(0), fixture.grad_weight->shape(1)},
                         fixture.grad_weight->data());
    }
    file.close();
  });
}

std::string_view to_string(OutputEncoding encoding) {
  return encoding == OutputEncoding::class_map ? "class-map" : "full";
}

OutputEncoding parse_output_encoding(std::string_view name) {
  if (name == "full") return OutputEncoding::full;
  if (name == "class-map") return OutputEncoding::class_map;
  throw InputError(fmt::format("unknown output encoding '{}' (expected full or class-map)", name));
}

std::string generator_string() { return fmt::format("relpos {}", kVersion); }

}  // namespace relpos
