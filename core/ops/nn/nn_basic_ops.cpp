#include "ops/nn/nn_basic.h"

namespace braid {

void register_nn_basic_ops(Registry& r) {
  register_fully_connected_op(r);
  register_activation_ops(r);
  register_softmax_ops(r);
  register_dropout_embedding_ops(r);
  register_pad_mask_ops(r);
}

}  // namespace braid
