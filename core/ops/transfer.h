// Copies between devices, scheduled on the engine like any op (the GPU side drives a host<->device transfer).
#pragma once
#include "tensor/tensor.h"

namespace braid {

// A new array on `to` holding src's values (same shape and dtype).
Tensor copy_to_device(const Tensor& src, Context to);

}  // namespace braid
