// Helpers shared by the normalisation ops (nn/batch_norm.cpp, nn/norm_ops.cpp). Their parameters (gamma, beta,
// running statistics) are short per-channel vectors, so kernels read them as float64 host vectors whatever
// their dtype and layout; the bulk data is read and written in its own dtype.
#pragma once
#include <string>
#include <vector>

#include "backends/cpu/parallel.h"
#include "ops/kernel_util.h"

namespace braid {

class Registry;
void register_batch_norm_ops(Registry& r);  // BatchNorm and _batch_norm_backward (nn/batch_norm.cpp)
void register_lrn_ops(Registry& r);         // LRN and _lrn_backward (nn/lrn.cpp)

namespace norm {

// The values of a small array as float64, in row-major order.
inline std::vector<double> to_vec(const Tensor& t) {
  Tensor c = contiguous_as(t, DType::kFloat64);
  const double* p = c.data<double>();
  return std::vector<double>(p, p + c.numel());
}

// Writes v (row-major, v.size() == dst.numel()) into dst, converting to dst's dtype and layout.
inline void store_vec(const std::vector<double>& v, const Tensor& dst) {
  Tensor t = Tensor::empty(dst.shape(), DType::kFloat64, dst.ctx());
  std::copy(v.begin(), v.end(), t.data<double>());
  copy_into(t, dst);
}

// A contiguous array to write a kernel result into: out itself when it is contiguous.
inline Tensor out_buffer(const Tensor& out) {
  return out.is_contiguous() ? out : Tensor::empty(out.shape(), out.dtype(), out.ctx());
}
inline void finish(const Tensor& buf, const Tensor& out) {
  if (buf.impl() != out.impl())
    copy_into(buf, out);
}

// Checks that a parameter input has the expected shape and a floating dtype, naming op and argument.
inline void check_param(const char* op, const char* arg, const TensorMeta& m, const Shape& want,
                        const std::string& why) {
  BRAID_CHECK(m.shape == want, kValue, op, ": argument '", arg, "' must have shape ", shape_str(want), " (", why,
              "), got ", shape_str(m.shape));
  BRAID_CHECK(dtype_is_float(m.dtype), kType, op, ": argument '", arg, "' must be floating-point, got ",
              dtype_name(m.dtype));
}

inline void check_data(const char* op, const TensorMeta& m, int min_ndim) {
  BRAID_CHECK(dtype_is_float(m.dtype), kType, op, ": argument 'data' must be floating-point, got ",
              dtype_name(m.dtype));
  BRAID_CHECK(static_cast<int>(m.shape.size()) >= min_ndim, kValue, op, ": argument 'data' must have at least ",
              min_ndim, " dimension(s), got shape ", shape_str(m.shape));
}

// Adds sum(x[i] - k) and sum((x[i] - k)^2) over n contiguous elements to *s1 and *s2, in double. Eight
// independent partial sums break the dependency chain of one accumulator (the compiler keeps FP order, so it
// will not split it itself) and let the loop vectorise; the order is fixed, so results are reproducible.
template <typename T>
void shifted_sums(const T* x, int64_t n, double k, double* s1, double* s2) {
  constexpr int kLanes = 8;
  double a[kLanes] = {}, b[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const double d = static_cast<double>(x[i + j]) - k;
      a[j] += d;
      b[j] += d * d;
    }
  }
  double t1 = 0, t2 = 0;
  for (; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - k;
    t1 += d;
    t2 += d * d;
  }
  for (int j = 0; j < kLanes; ++j) {
    t1 += a[j];
    t2 += b[j];
  }
  *s1 += t1;
  *s2 += t2;
}

// Product of shape[b, e).
inline int64_t span(const Shape& s, int b, int e) {
  int64_t n = 1;
  for (int i = b; i < e; ++i)
    n *= s[i];
  return n;
}

}  // namespace norm
}  // namespace braid
