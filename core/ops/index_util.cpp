#include "ops/index_util.h"

#include <atomic>
#include <cmath>
#include <limits>

namespace braid {

Tensor narrow(const Tensor& t, int axis, int64_t start, int64_t len) {
  Shape s = t.shape();
  s[axis] = len;
  return t.view(s, t.strides(), t.impl()->offset + (len ? start * t.strides()[axis] : 0));
}

Tensor select(const Tensor& t, int axis, int64_t i) {
  Shape s = t.shape(), st = t.strides();
  const int64_t off = t.impl()->offset + i * st[axis];
  s.erase(s.begin() + axis);
  st.erase(st.begin() + axis);
  return t.view(s, st, off);
}

IndexMode index_mode(const std::string& name) {
  if (name == "wrap")
    return IndexMode::kWrap;
  if (name == "raise")
    return IndexMode::kRaise;
  return IndexMode::kClip;  // the attribute's choices were validated when it was set
}

namespace {

template <typename C>
int64_t to_index(C v) {
  if constexpr (std::is_floating_point<C>::value) {
    // Out-of-range floats (and NaN) must not reach the undefined float-to-int conversion.
    if (std::isnan(v))
      return std::numeric_limits<int64_t>::min();
    if (v >= 9.2e18)
      return std::numeric_limits<int64_t>::max();
    if (v <= -9.2e18)
      return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(v);
  } else {
    return static_cast<int64_t>(v);
  }
}

}  // namespace

std::vector<int64_t> read_indices(const Tensor& idx_in, int64_t n, IndexMode mode, const char* op, int axis) {
  const int64_t m = idx_in.numel();
  std::vector<int64_t> pos(m);
  if (m == 0)
    return pos;
  if (n == 0 && mode != IndexMode::kIgnore) {
    fail(ErrorKind::kIndex, op, ": cannot index into axis ", axis, " of size 0");
  }
  Tensor idx = contiguous(idx_in);
  // The first offending position; exceptions must not leave a parallel region, so it is reported after.
  std::atomic<int64_t> first_bad{m};
  dispatch_dtype(idx.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = idx.data<T>();
    parallel_for(m, kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t v = to_index(static_cast<compute_t<T>>(p[i]));
        int64_t r;
        switch (mode) {
          case IndexMode::kClip:
            r = v < 0 ? 0 : (v >= n ? n - 1 : v);
            break;
          case IndexMode::kWrap:
            r = ((v % n) + n) % n;
            break;
          case IndexMode::kIgnore:
            r = v < 0 || v >= n ? -1 : v;
            break;
          case IndexMode::kRaise:
          default:
            if (v < -n || v >= n) {
              r = v;  // kept for the message
              int64_t cur = first_bad.load();
              while (i < cur && !first_bad.compare_exchange_weak(cur, i)) {
              }
            } else {
              r = v < 0 ? v + n : v;
            }
        }
        pos[i] = r;
      }
    });
  });
  const int64_t bad = first_bad.load();
  if (bad < m) {
    fail(ErrorKind::kIndex, op, ": index ", pos[bad], " is out of bounds for axis ", axis, " with size ", n);
  }
  return pos;
}

std::vector<int64_t> block_offsets(const Shape& shape, const Shape& strides) {
  std::vector<int64_t> offs{0};
  for (size_t d = 0; d < shape.size(); ++d) {
    std::vector<int64_t> next;
    next.reserve(offs.size() * static_cast<size_t>(shape[d]));
    for (int64_t o : offs) {
      for (int64_t j = 0; j < shape[d]; ++j)
        next.push_back(o + j * strides[d]);
    }
    offs.swap(next);
  }
  return offs;
}

bool block_is_contiguous(const Shape& shape, const Shape& strides) {
  int64_t expect = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1)
      continue;
    if (strides[i] != expect)
      return false;
    expect *= shape[i];
  }
  return true;
}

}  // namespace braid
