#pragma once
// The pieces of the extension module relpos._relpos (one register function per
// topic), and how Python values become relpos's own types. The Python package
// (relpos/__init__.py) checks and normalises the user's arguments first and
// names them in its errors; what arrives here is numpy int64 / float32 arrays,
// strings and integers.
#include <cstdint>
#include <optional>
#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "relpos/config.hpp"
#include "relpos/layout.hpp"
#include "relpos/weights.hpp"

namespace relpos::python {

namespace py = pybind11;

using IdArrayIn = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;
using FloatArrayIn = py::array_t<float, py::array::c_style | py::array::forcecast>;

/// (r_max, s_max, c_z, variant, cyclic, precision) as the Python layer passes it.
Config config_from_python(const py::tuple& config);
py::tuple config_to_python(const Config& config);

/// The five id arrays (dict name -> [N] or [B, N]) and the periods (None or the same shape).
Layout layout_from_python(const py::dict& ids, const py::object& periods);
/// {name: int64 array}, [N] for an unbatched layout, [B, N] otherwise; with "cyclic_period" when `with_periods`.
py::dict layout_to_python(const Layout& layout, bool with_periods);

Weights weights_from_python(const FloatArrayIn& weight);
FloatArrayIn weights_to_python(const Weights& weights);

void register_errors(py::module_& m);
void register_kernels(py::module_& m);
void register_harness(py::module_& m);

}  // namespace relpos::python
