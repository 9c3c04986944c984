#include "relpos/backends/cpu_lookup_kernel_impl.hpp"

template void relpos::detail::LookupKernel::operator()<xsimd::sse2>(xsimd::sse2, const LookupRows&) const;
