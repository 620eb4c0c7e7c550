// Shared pieces of the fused optimizer update ops (optimizer_ops.cpp, optimizer_multi_ops.cpp): one strided,
// parallel loop over several same-shaped arrays, and the input checks every update op makes.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "ops/kernel_util.h"

// The per-element functors must inline into the loop to vectorise; in a file with dozens of instantiations
// GCC's growth limits otherwise leave some as a call per element.
#if defined(__GNUC__)
#define BRAID_OPT_INLINE __attribute__((always_inline))
#else
#define BRAID_OPT_INLINE
#endif
// Asserts that a loop carries no dependence between iterations.
#if defined(__clang__)
#define BRAID_OPT_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define BRAID_OPT_IVDEP _Pragma("GCC ivdep")
#else
#define BRAID_OPT_IVDEP
#endif

namespace braid {
namespace opt {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

namespace detail {
// True unless two of the n-element contiguous rows at p overlap other than by starting at the same address
// with the same element size (an in-place update, which is safe elementwise).
template <size_t N>
bool no_partial_overlap(const std::array<char*, N>& p, const std::array<size_t, N>& size, int64_t n) {
  for (size_t a = 0; a < N; ++a) {
    for (size_t b = a + 1; b < N; ++b) {
      const uintptr_t a0 = reinterpret_cast<uintptr_t>(p[a]), b0 = reinterpret_cast<uintptr_t>(p[b]);
      const bool same = a0 == b0 && size[a] == size[b];
      if (!same && a0 < b0 + n * size[b] && b0 < a0 + n * size[a])
        return false;
    }
  }
  return true;
}

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
                if (((st[K] == 1) && ...) && no_partial_overlap<N>(p, {sizeof(Ts)...}, n)) {
                  // The common case: contiguous operands that are distinct arrays or the very same one
                  // (out=weight). Neither carries a dependence from one element to the next, so the loop
                  // vectorises without the runtime overlap checks that GCC gives up on beyond a few arrays.
                  BRAID_OPT_IVDEP
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
BRAID_OPT_INLINE inline C clamp(C x, C b) {
  return x > b ? b : (x < -b ? -b : x);
}

// The rescale and clip applied to every gradient.
template <typename C>
struct GradPrep {
  C rescale, clip;
  explicit GradPrep(const OpAttrs& a)
      : rescale(static_cast<C>(a.get_float("rescale_grad"))), clip(clip_bound<C>(a.get_float("clip_gradient"))) {}
  BRAID_OPT_INLINE C operator()(C g) const { return clamp(rescale * g, clip); }
};

// Checks an update op's inputs: all have weight's shape; weight is floating point; inputs from index first_f32
// on must be float32 (the master weights and states of the multi-precision ops), the others weight's dtype.
void check_update_inputs(const OpAttrs& a, const Metas& in, size_t first_f32);
// Infers an update op's output (weight's shape and dtype) after check_update_inputs.
InferFn update_infer(size_t first_f32);

}  // namespace opt

}  // namespace braid
