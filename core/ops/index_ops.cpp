#include "ops/kernel_util.h"

namespace braid {

void register_index_ops(Registry&) {}

}  // namespace braid
