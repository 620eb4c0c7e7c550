#include "ops/kernel_util.h"

namespace braid {

void register_nn_basic_ops(Registry&) {}

}  // namespace braid
