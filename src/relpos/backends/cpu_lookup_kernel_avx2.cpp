#include "relpos/backends/cpu_lookup_kernel_impl.hpp"

template void relpos::detail::LookupKernel::operator()<xsimd::avx2>(xsimd::avx2, const LookupRows&) const;
