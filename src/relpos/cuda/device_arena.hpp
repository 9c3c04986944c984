#pragma once
// The device arena of the cuda backend (relpos bench times it there).
#include <memory>

#include "relpos/arena.hpp"

namespace relpos::cuda {

/// The arena of the current device; RuntimeFailure without a usable one.
std::unique_ptr<Arena> make_device_arena();

}  // namespace relpos::cuda
