#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "python/bindings.hpp"
#include "relpos/errors.hpp"

namespace relpos::python {
namespace {

// [N] -> [1, N]; [B, N] as is. The Python layer has checked the ranks already.
IdArray id_array(const IdArrayIn& array, std::string_view name) {
  if (array.ndim() != 1 && array.ndim() != 2)
    throw InputError(fmt::format("{} must be [N] or [B, N], not {}-dimensional", name, array.ndim()));
  const std::size_t batch = array.ndim() == 2 ? static_cast<std::size_t>(array.shape(0)) : 1;
  const std::size_t tokens = static_cast<std::size_t>(array.shape(array.ndim() - 1));
  IdArray ids({batch, tokens});
  std::copy_n(array.data(), batch * tokens, ids.data());
  return ids;
}

IdArrayIn id_array_out(const IdArray& ids, bool batched) {
  const auto b = static_cast<py::ssize_t>(ids.shape(0)), n = static_cast<py::ssize_t>(ids.shape(1));
  IdArrayIn array = batched ? IdArrayIn({b, n}) : IdArrayIn({n});
  std::copy(ids.begin(), ids.end(), array.mutable_data());
  return array;
}

}  // namespace

Config config_from_python(const py::tuple& config) {
  if (config.size() != 6) throw InputError("config must be (r_max, s_max, c_z, variant, cyclic, precision)");
  Config result;
  result.r_max = config[0].cast<std::int32_t>();
  result.s_max = config[1].cast<std::int32_t>();
  result.c_z = config[2].cast<std::int32_t>();
  result.variant = parse_variant(config[3].cast<std::string>());
  result.cyclic = parse_cyclic(config[4].cast<std::string>());
  result.precision = parse_precision(config[5].cast<std::string>());
  validate(result);
  return result;
}

py::tuple config_to_python(const Config& config) {
  return py::make_tuple(config.r_max, config.s_max, config.c_z, std::string(to_string(config.variant)),
                        std::string(to_string(config.cyclic)), std::string(to_string(config.precision)));
}

Layout layout_from_python(const py::dict& ids, const py::object& periods) {
  Layout layout;
  bool first = true;
  for (const IdField field : kIdFields) {
    const std::string name(to_string(field));
    if (!ids.contains(name)) throw InputError(fmt::format("feats is missing '{}'", name));
    const IdArrayIn array = ids[name.c_str()].cast<IdArrayIn>();
    if (first) layout.batched = array.ndim() == 2;
    first = false;
    layout.ids(field) = id_array(array, name);
  }
  if (!periods.is_none()) layout.cyclic_period = id_array(periods.cast<IdArrayIn>(), "cyclic_period");
  validate(layout);
  return layout;
}

py::dict layout_to_python(const Layout& layout, bool with_periods) {
  py::dict ids;
  for (const IdField field : kIdFields)
    ids[py::str(std::string(to_string(field)))] = id_array_out(layout.ids(field), layout.batched);
  if (with_periods) {
    IdArray periods = layout.has_periods() ? layout.cyclic_period : IdArray(layout.asym_id.shape(), 0);
    ids["cyclic_period"] = id_array_out(periods, layout.batched);
  }
  return ids;
}

Weights weights_from_python(const FloatArrayIn& weight) {
  if (weight.ndim() != 2) throw InputError(fmt::format("weight must be [c_z, F], not {}-dimensional", weight.ndim()));
  Weights weights({static_cast<std::size_t>(weight.shape(0)), static_cast<std::size_t>(weight.shape(1))});
  std::copy_n(weight.data(), weights.size(), weights.data());
  return weights;
}

FloatArrayIn weights_to_python(const Weights& weights) {
  FloatArrayIn array({weights.shape(0), weights.shape(1)});
  std::copy(weights.begin(), weights.end(), array.mutable_data());
  return array;
}

void register_errors(py::module_& m) {
  // Bad input is a ValueError with relpos's one line; the Python layer adds the argument's name.
  py::register_exception<InputError>(m, "InputError", PyExc_ValueError);
  py::register_exception<RuntimeFailure>(m, "RuntimeFailure", PyExc_RuntimeError);
}

}  // namespace relpos::python
