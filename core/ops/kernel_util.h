// Building blocks shared by CPU kernels: typed elementwise maps over broadcast/strided operands and copies
// with dtype conversion. They run inside an engine op (the caller holds the arrays' variables).
#pragma once
#include <array>
#include <type_traits>

#include "backends/cpu/strided_loop.h"
#include "ops/registry.h"

namespace braid {

template <typename T>
std::array<int64_t, 1> elem_sizes1() {
  return {static_cast<int64_t>(sizeof(T))};
}

// out[i] = f(a[i]); a is broadcast to out's shape. f takes and returns compute types.
template <typename TO, typename TA, typename F>
void map_unary(const Tensor& out, const Tensor& a, F f) {
  if (out.numel() == 0)
    return;
  auto sa = broadcast_strides(a.shape(), a.strides(), out.shape());
  LoopPlan<2> plan = plan_loop<2>(out.shape(), {out.strides().data(), sa.data()});
  run_loop<2>(plan, {static_cast<char*>(out.raw_data()), static_cast<char*>(a.raw_data())},
              {static_cast<int64_t>(sizeof(TO)), static_cast<int64_t>(sizeof(TA))},
              [&](int64_t n, const std::array<char*, 2>& p, const std::array<int64_t, 2>& st) {
                TO* o = reinterpret_cast<TO*>(p[0]);
                const TA* x = reinterpret_cast<const TA*>(p[1]);
                using CA = compute_t<TA>;
                if (st[0] == 1 && st[1] == 1) {
                  if constexpr (std::is_same<TO, TA>::value) {
                    // In place (a graph step over its dying input): one pointer, so the loop vectorises without
                    // the overlap check that would send o == x to the scalar fallback.
                    if (o == x) {
                      for (int64_t i = 0; i < n; ++i)
                        o[i] = static_cast<TO>(f(static_cast<CA>(o[i])));
                      return;
                    }
                  }
                  for (int64_t i = 0; i < n; ++i)
                    o[i] = static_cast<TO>(f(static_cast<CA>(x[i])));
                } else {
                  for (int64_t i = 0; i < n; ++i)
                    o[i * st[0]] = static_cast<TO>(f(static_cast<CA>(x[i * st[1]])));
                }
              });
}

// out[i] = f(a[i], b[i]) with numpy broadcasting of a and b to out's shape.
template <typename TO, typename TA, typename TB, typename F>
void map_binary(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  if (out.numel() == 0)
    return;
  auto sa = broadcast_strides(a.shape(), a.strides(), out.shape());
  auto sb = broadcast_strides(b.shape(), b.strides(), out.shape());
  LoopPlan<3> plan = plan_loop<3>(out.shape(), {out.strides().data(), sa.data(), sb.data()});
  run_loop<3>(plan,
              {static_cast<char*>(out.raw_data()), static_cast<char*>(a.raw_data()), static_cast<char*>(b.raw_data())},
              {static_cast<int64_t>(sizeof(TO)), static_cast<int64_t>(sizeof(TA)), static_cast<int64_t>(sizeof(TB))},
              [&](int64_t n, const std::array<char*, 3>& p, const std::array<int64_t, 3>& st) {
                TO* o = reinterpret_cast<TO*>(p[0]);
                const TA* x = reinterpret_cast<const TA*>(p[1]);
                const TB* y = reinterpret_cast<const TB*>(p[2]);
                using CA = compute_t<TA>;
                using CB = compute_t<TB>;
                if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
                  if constexpr (std::is_same<TO, TA>::value) {
                    const char *ob = p[0], *yb = p[2];
                    const bool y_apart = yb + n * sizeof(TB) <= ob || yb >= ob + n * sizeof(TO);
                    if (o == x && y_apart) {  // in place over a
                      const TB* __restrict yr = y;
                      for (int64_t i = 0; i < n; ++i)
                        o[i] = static_cast<TO>(f(static_cast<CA>(o[i]), static_cast<CB>(yr[i])));
                      return;
                    }
                  }
                  for (int64_t i = 0; i < n; ++i)
                    o[i] = static_cast<TO>(f(static_cast<CA>(x[i]), static_cast<CB>(y[i])));
                } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
                  const CB yv = static_cast<CB>(y[0]);
                  for (int64_t i = 0; i < n; ++i)
                    o[i] = static_cast<TO>(f(static_cast<CA>(x[i]), yv));
                } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
                  const CA xv = static_cast<CA>(x[0]);
                  for (int64_t i = 0; i < n; ++i)
                    o[i] = static_cast<TO>(f(xv, static_cast<CB>(y[i])));
                } else {
                  for (int64_t i = 0; i < n; ++i) {
                    o[i * st[0]] = static_cast<TO>(f(static_cast<CA>(x[i * st[1]]), static_cast<CB>(y[i * st[2]])));
                  }
                }
              });
}

// Writes src (broadcast to dst's shape) into dst, converting dtype. dst may be a strided view.
void copy_into(const Tensor& src, const Tensor& dst);
// A contiguous copy of t in dtype (or t itself when it already is both).
Tensor contiguous_as(const Tensor& t, DType dtype);
inline Tensor contiguous(const Tensor& t) {
  return contiguous_as(t, t.dtype());
}

// Shape-inference helpers used by many ops.
void infer_same_as_input0(const OpAttrs&, const std::vector<TensorMeta>& in, std::vector<TensorMeta>* out);

}  // namespace braid
