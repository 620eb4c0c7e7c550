// Direct (im2col-free) forward convolution for stride-1, undilated, ungrouped 1-D and 2-D windows; see
// conv_direct.cpp. conv_forward (nn/im2col) uses it where it applies and is expected to be faster.
#pragma once
#include "ops/nn/im2col.h"

namespace braid {

// Whether conv_forward should take the direct path for g (have_blas: whether GEMM goes to a BLAS library).
bool conv_direct_applies(const ConvGeom& g, bool have_blas);
// y = conv(x, w) + bias (bias may be null), for geometries where conv_direct_applies.
template <typename T>
void conv_forward_direct(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y);

}  // namespace braid
