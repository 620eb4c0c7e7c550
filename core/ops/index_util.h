// Helpers shared by the shape and indexing ops: views along one axis, reading index arrays of any dtype into
// positions, and copying elements by byte size (gathers move elements without looking at their values).
#pragma once
#include <string>
#include <vector>

#include "ops/kernel_util.h"

namespace braid {

// A view of t restricted to [start, start + len) along axis.
Tensor narrow(const Tensor& t, int axis, int64_t start, int64_t len);
// A view of t at position i along axis, with that axis dropped.
Tensor select(const Tensor& t, int axis, int64_t i);

// How an index outside [0, n) is handled. kIgnore maps it to -1 (one_hot leaves such rows empty).
enum class IndexMode { kClip, kWrap, kRaise, kIgnore };
IndexMode index_mode(const std::string& name);  // "clip", "wrap" or "raise"

// Reads idx (any dtype and layout; floats truncate toward zero, as MXNet casts them) as positions into an axis
// of size n. kRaise accepts -n <= i < n (negative counts from the end, as numpy) and otherwise throws a kIndex
// error "<op>: index i is out of bounds for axis <axis> with size n". Runs inside a kernel.
std::vector<int64_t> read_indices(const Tensor& idx, int64_t n, IndexMode mode, const char* op, int axis);

// Calls f(type_tag<W>{}) with the unsigned integer type W of the given element size, so gathers compile once
// per size rather than once per dtype.
template <typename F>
void dispatch_elem_size(size_t size, F&& f) {
  switch (size) {
    case 1:
      f(type_tag<uint8_t>{});
      return;
    case 2:
      f(type_tag<uint16_t>{});
      return;
    case 4:
      f(type_tag<uint32_t>{});
      return;
    case 8:
      f(type_tag<uint64_t>{});
      return;
  }
  fail(ErrorKind::kRuntime, "internal error: no copy for elements of ", size, " bytes");
}

// Element offsets (relative to the first element) of every position of a block with the given shape and
// strides, in row-major order. Gathers and scatters use it for blocks that are not contiguous.
std::vector<int64_t> block_offsets(const Shape& shape, const Shape& strides);
// True when a block with these shape and strides is one contiguous run in row-major order.
bool block_is_contiguous(const Shape& shape, const Shape& strides);

// gather_nd and _scatter_set_nd; registered by register_index_ops.
void register_gather_ops(Registry& r);

}  // namespace braid
