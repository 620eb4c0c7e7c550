#include "ops/kernel_util.h"

#include <cstring>

namespace braid {

void copy_into(const Tensor& src, const Tensor& dst) {
  if (dst.numel() == 0)
    return;
  if (src.dtype() == dst.dtype() && src.shape() == dst.shape() && src.is_contiguous() && dst.is_contiguous()) {
    size_t bytes = dst.nbytes();
    char* d = static_cast<char*>(dst.raw_data());
    const char* s = static_cast<const char*>(src.raw_data());
    if (d == s)
      return;
    parallel_for(static_cast<int64_t>(bytes), kParallelGrain * 4,
                 [&](int64_t b, int64_t e) { std::memcpy(d + b, s + b, static_cast<size_t>(e - b)); });
    return;
  }
  dispatch_dtype(dst.dtype(), [&](auto to) {
    using TO = typename decltype(to)::type;
    dispatch_dtype(src.dtype(), [&](auto from) {
      using TF = typename decltype(from)::type;
      map_unary<TO, TF>(dst, src, [](compute_t<TF> v) { return v; });
    });
  });
}

Tensor contiguous_as(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype && t.is_contiguous())
    return t;
  Tensor out = Tensor::empty(t.shape(), dtype, t.ctx());
  copy_into(t, out);
  return out;
}

void infer_same_as_input0(const OpAttrs&, const std::vector<TensorMeta>& in, std::vector<TensorMeta>* out) {
  (*out)[0] = in[0];
}

}  // namespace braid
