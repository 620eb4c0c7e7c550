#include "ops/kernel_util.h"

namespace braid {

void register_optimizer_ops(Registry&) {}

}  // namespace braid
