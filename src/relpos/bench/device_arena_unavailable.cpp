// Linked instead of the CUDA arena when the build has no CUDA compiler.
#include "relpos/bench/arena.hpp"
#include "relpos/errors.hpp"

namespace relpos::bench {

std::unique_ptr<Arena> make_device_arena() {
  throw RuntimeFailure("device arena: this build of relpos has no CUDA support (not compiled)");
}

}  // namespace relpos::bench
