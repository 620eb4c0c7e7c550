// Shapes and strides. A Shape is a small vector of int64 extents; scalars have ndim 0.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace braid {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);  // in elements, row-major
std::string shape_str(const Shape& s);     // "(2, 3)"
// Normalises a possibly negative axis for an array of ndim dims; errors name op and argument.
int normalize_axis(int64_t axis, int ndim, const char* op, const char* arg = "axis");
// numpy broadcasting of two shapes; throws a kValue error naming op.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace braid

namespace braid {
// Resolves an MXNet reshape spec against an input shape: 0 copies a dimension, -1 infers one, -2 copies all
// remaining dimensions, -3 merges two consecutive dimensions, -4 splits one into the next two values (one of
// which may be -1). With reverse, special values are matched from the right. Errors name op.
Shape resolve_reshape(const Shape& in, const std::vector<int64_t>& spec, bool reverse, const char* op);
}  // namespace braid
