#include "ops/kernel_util.h"

namespace braid {

void register_conv_ops(Registry&) {}

}  // namespace braid
