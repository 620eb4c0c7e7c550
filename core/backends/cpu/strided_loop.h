// The one loop behind every elementwise kernel: walks an output shape while each operand follows its own
// strides (0 for a broadcast dimension, anything for a view). Dimensions that are contiguous for every operand
// are merged first, so the common cases (same-shape contiguous arrays, a row broadcast) become one long inner
// loop that the compiler vectorises. Operand 0 is the output.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "backends/cpu/parallel.h"
#include "base/shape.h"

namespace braid {

template <size_t N>
struct LoopPlan {
  std::vector<int64_t> shape;                   // merged dims, outermost first (at least one)
  std::array<std::vector<int64_t>, N> strides;  // in elements, per operand
};

// shape: the iteration shape; strides[k]: operand k's strides aligned to shape (same length).
template <size_t N>
LoopPlan<N> plan_loop(const Shape& shape, const std::array<const int64_t*, N>& strides) {
  LoopPlan<N> p;
  const size_t nd = shape.size();
  for (size_t d = 0; d < nd; ++d) {
    if (shape[d] == 1)
      continue;  // size-1 dims never move a pointer
    if (!p.shape.empty()) {
      bool merge = true;
      for (size_t k = 0; k < N && merge; ++k)
        merge = p.strides[k].back() == strides[k][d] * shape[d];
      if (merge) {
        p.shape.back() *= shape[d];
        for (size_t k = 0; k < N; ++k)
          p.strides[k].back() = strides[k][d];
        continue;
      }
    }
    p.shape.push_back(shape[d]);
    for (size_t k = 0; k < N; ++k)
      p.strides[k].push_back(strides[k][d]);
  }
  if (p.shape.empty()) {
    p.shape.push_back(1);
    for (size_t k = 0; k < N; ++k)
      p.strides[k].push_back(0);
  }
  return p;
}

// Calls inner(n, ptrs, inner_strides) for every innermost row; ptrs are typed by the caller through
// reinterpret_cast of char*. elem_size[k] converts element strides to bytes.
template <size_t N, typename Inner>
void run_loop(const LoopPlan<N>& p, const std::array<char*, N>& base, const std::array<int64_t, N>& elem_size,
              Inner&& inner) {
  const int nd = static_cast<int>(p.shape.size());
  const int64_t inner_n = p.shape.back();
  std::array<int64_t, N> inner_stride;
  for (size_t k = 0; k < N; ++k)
    inner_stride[k] = p.strides[k].back();
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; ++d)
    rows *= p.shape[d];

  if (rows == 1) {
    // One long row: split it across threads.
    parallel_for(inner_n, kParallelGrain, [&](int64_t b, int64_t e) {
      std::array<char*, N> ptr;
      for (size_t k = 0; k < N; ++k)
        ptr[k] = base[k] + b * inner_stride[k] * elem_size[k];
      inner(e - b, ptr, inner_stride);
    });
    return;
  }
  int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner_n, 1));
  parallel_for(rows, grain, [&](int64_t rb, int64_t re) {
    std::array<char*, N> ptr;
    for (int64_t r = rb; r < re; ++r) {
      int64_t rem = r;
      for (size_t k = 0; k < N; ++k)
        ptr[k] = base[k];
      for (int d = nd - 2; d >= 0; --d) {
        int64_t idx = rem % p.shape[d];
        rem /= p.shape[d];
        for (size_t k = 0; k < N; ++k)
          ptr[k] += idx * p.strides[k][d] * elem_size[k];
      }
      inner(inner_n, ptr, inner_stride);
    }
  });
}

// Strides of a tensor with shape `from` broadcast to shape `to` (numpy rules; already validated).
inline std::vector<int64_t> broadcast_strides(const Shape& from, const Shape& from_strides, const Shape& to) {
  std::vector<int64_t> s(to.size(), 0);
  size_t off = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    s[off + i] = from[i] == 1 ? 0 : from_strides[i];
  return s;
}

}  // namespace braid
