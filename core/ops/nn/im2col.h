// Convolution geometry and the im2col-based CPU drivers shared by Convolution, Deconvolution and their
// gradients. 1-D and 2-D problems are handled as 3-D ones with leading unit spatial axes, so one set of loops
// serves NCW, NCHW and NCDHW.
//
// Several images are processed per GEMM: their columns are laid side by side ([group][C/G*k][B*P]), so each
// group needs one GEMM of width B*P per chunk of B images instead of B narrow ones, which keeps the BLAS
// efficient on small feature maps (LeNet) and lets it use every thread.
#pragma once
#include <cstdint>
#include <vector>

#include "ops/registry.h"

namespace braid {

struct ConvGeom {
  int nd = 0;     // spatial dims as given (1, 2 or 3)
  int64_t N = 0;  // batch
  int64_t C = 0;  // input channels (of the convolution's input)
  int64_t K = 0;  // output channels (filters)
  int64_t G = 1;  // groups
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};
  int64_t k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, p[3] = {0, 0, 0};

  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t kernel_size() const { return k[0] * k[1] * k[2]; }
  int64_t col_rows() const { return C / G * kernel_size(); }  // rows of one group's column matrix
};

// Elements of scratch a convolution driver may hold per chunk of images (16 MiB of float): bounds memory while
// keeping the GEMMs wide.
constexpr int64_t kConvScratchElements = int64_t(1) << 22;

// At least n elements of scratch, reused across calls on the same (engine worker) thread, so steady-state
// training allocates nothing. Each Slot is a separate buffer: im2col uses 0-1, the direct convolution 2-4.
template <typename T, int Slot>
T* conv_scratch(int64_t n) {
  thread_local std::vector<T> buf;
  if (static_cast<int64_t>(buf.size()) < n)
    buf.resize(static_cast<size_t>(n));
  return buf.data();
}

// Reads kernel/stride/dilate/pad of op `a` for data of rank `ndim` into g (spatial sizes not set).
// Empty stride/dilate/pad tuples mean 1/1/0. Errors name the op and the attribute.
void conv_read_window(const OpAttrs& a, int ndim, ConvGeom* g, bool has_dilate = true);
// The convolution output size along one axis; fails (naming op and axis) when the dilated kernel exceeds
// the padded input.
int64_t conv_out_size(const OpAttrs& a, int axis, int64_t in, int64_t k, int64_t s, int64_t d, int64_t p);
// Checks the layout attribute (None or the channel-first layout of the data's rank).
void conv_check_layout(const OpAttrs& a, int ndim);
Shape conv_weight_shape(const ConvGeom& g);

// y = conv(x, w) + bias (bias may be null). x: (N, C, in...), w: (K, C/G, k...), y: (N, K, out...).
template <typename T>
void conv_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y);
// dx = conv_transpose(dy, w): the gradient of conv_forward with respect to x (overwrites dx).
template <typename T>
void conv_backward_data(const ConvGeom& g, const T* dy, const T* w, T* dx);
// dw = sum over the batch of dy * im2col(x)^T (overwrites dw).
template <typename T>
void conv_backward_weight(const ConvGeom& g, const T* x, const T* dy, T* dw);

// A contiguous copy of t in its compute dtype (float32 for the 16-bit types), or t itself when it already is.
Tensor conv_staged(const Tensor& t);
// Where a kernel writes its float/double result: out itself when it is contiguous in its compute dtype, else a
// scratch array that conv_finish copies (converting) into out.
Tensor conv_result_buffer(const Tensor& out);
void conv_finish(const Tensor& buf, const Tensor& out);

}  // namespace braid
