#include "ops/kernel_util.h"

namespace braid {

void register_random_ops(Registry&) {}

}  // namespace braid
