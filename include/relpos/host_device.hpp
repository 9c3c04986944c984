#pragma once
// Lets the few functions every backend shares compile for host and device.
#if defined(__CUDACC__)
#define RELPOS_HOST_DEVICE __host__ __device__
#else
#define RELPOS_HOST_DEVICE
#endif
