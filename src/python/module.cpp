// relpos._relpos: the compiled half of the Python package `relpos`.
#include "python/bindings.hpp"
#include "relpos/version.hpp"

PYBIND11_MODULE(_relpos, m) {
  m.doc() = "relpos's kernels and property harness (use the package `relpos`, not this module)";
  m.attr("__version__") = relpos::kVersion;
  relpos::python::register_errors(m);
  relpos::python::register_kernels(m);
  relpos::python::register_harness(m);
}
