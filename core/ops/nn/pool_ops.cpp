#include "ops/kernel_util.h"

namespace braid {

void register_pool_ops(Registry&) {}

}  // namespace braid
