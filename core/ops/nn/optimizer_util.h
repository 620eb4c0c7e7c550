// Shared pieces of the fused optimizer update ops (optimizer_ops.cpp, optimizer_multi_ops.cpp): one strided,
// parallel loop over several same-shaped arrays, and the input checks every update op makes.
#pragma once
#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ops/kernel_util.h"

namespace braid {
namespace opt {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

namespace detail {
template <typename... Ts, typename F, size_t... K>
void fused_loop_impl(std::index_sequence<K...>, const std::array<Tensor, sizeof...(Ts)>& t, F& f) {
  constexpr size_t N = sizeof...(Ts);
  const Tensor& out = t[0];
  if (out.numel() == 0)
    return;
  // Every operand has out's shape (checked at inference), so its strides already align with out's.
  LoopPlan<N> plan = plan_loop<N>(out.shape(), {t[K].strides().data()...});
  run_loop<N>(plan, {static_cast<char*>(t[K].raw_data())...}, {static_cast<int64_t>(sizeof(Ts))...},
              [&](int64_t n, const std::array<char*, N>& p, const std::array<int64_t, N>& st) {
                std::tuple<Ts*...> ptr{reinterpret_cast<Ts*>(p[K])...};
                using T0 = std::tuple_element_t<0, std::tuple<Ts...>>;
                using T1 = std::tuple_element_t<1, std::tuple<Ts...>>;
                if constexpr (std::is_same<T0, T1>::value) {
                  if (p[0] == p[1] && st[0] == st[1]) {
                    // In place (out=weight): one pointer for both, so the compiler sees one array. Two distinct
                    // pointers to the same memory fail the overlap check of the vectorised loop: it would
                    // run the scalar fallback.
                    std::get<1>(ptr) = std::get<0>(ptr);
                  }
                }
                if (((st[K] == 1) && ...)) {
                  // The common case (contiguous parameters): a plain indexed loop the compiler vectorises.
                  for (int64_t i = 0; i < n; ++i)
                    f(std::get<K>(ptr)[i]...);
                } else {
                  for (int64_t i = 0; i < n; ++i)
                    f(std::get<K>(ptr)[i * st[K]]...);
                }
              });
}
}  // namespace detail

// Calls f(t0[i], t1[i], ...) with references to the elements of same-shaped arrays typed Ts..., split across
// threads. t[0] is the output; the others may alias it (out=weight), which is safe because f reads an element
// before writing it and no element is touched twice.
template <typename... Ts, typename F>
void fused_loop(const std::array<Tensor, sizeof...(Ts)>& t, F f) {
  detail::fused_loop_impl<Ts...>(std::index_sequence_for<Ts...>{}, t, f);
}

// The gradient bound as a value to clamp with: +inf when clipping is off (clip_gradient <= 0, as MXNet's
// documentation states), so the loop has no branch.
template <typename C>
C clip_bound(double clip) {
  return clip > 0 ? static_cast<C>(clip) : std::numeric_limits<C>::infinity();
}
// Clamps to [-b, b]; a NaN passes through, as in MXNet's clip.
template <typename C>
inline C clamp(C x, C b) {
  return x > b ? b : (x < -b ? -b : x);
}

// The rescale and clip applied to every gradient.
template <typename C>
struct GradPrep {
  C rescale, clip;
  explicit GradPrep(const OpAttrs& a)
      : rescale(static_cast<C>(a.get_float("rescale_grad"))), clip(clip_bound<C>(a.get_float("clip_gradient"))) {}
  C operator()(C g) const { return clamp(rescale * g, clip); }
};

// Checks an update op's inputs: all have weight's shape; weight is floating point; inputs from index first_f32
// on must be float32 (the master weights and states of the multi-precision ops), the others weight's dtype.
void check_update_inputs(const OpAttrs& a, const Metas& in, size_t first_f32);
// Infers an update op's output (weight's shape and dtype) after check_update_inputs.
InferFn update_infer(size_t first_f32);

}  // namespace opt

}  // namespace braid
