#include "relpos/backends/cpu_lookup_kernel_impl.hpp"

template void relpos::detail::LookupKernel::operator()<xsimd::avx512bw>(xsimd::avx512bw, const LookupRows&) const;
