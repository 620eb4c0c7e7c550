// Element types. The numeric values are MXNet's type flags, so .params files and the C ABI share them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "base/error.h"
#include "base/half.h"

namespace braid {

enum class DType : int32_t {
  kFloat32 = 0,
  kFloat64 = 1,
  kFloat16 = 2,
  kUInt8 = 3,
  kInt32 = 4,
  kInt8 = 5,
  kInt64 = 6,
  kBool = 7,
  kBFloat16 = 12,
};

// Arithmetic type used inside kernels: 16-bit floats compute in float, bool in its own type.
template <typename T>
struct compute_type {
  using type = T;
};
template <>
struct compute_type<float16> {
  using type = float;
};
template <>
struct compute_type<bfloat16> {
  using type = float;
};
template <typename T>
using compute_t = typename compute_type<T>::type;

size_t dtype_size(DType t);
const char* dtype_name(DType t);
bool dtype_is_valid(int32_t code);
DType dtype_from_name(const std::string& name);  // throws kType on an unknown name
bool dtype_is_float(DType t);
bool dtype_is_integer(DType t);  // bool excluded
// numpy-like promotion for mixed binary operands.
DType promote_types(DType a, DType b);

template <typename T>
struct dtype_of;
#define BRAID_DTYPE_OF(T, D)                 \
  template <>                                \
  struct dtype_of<T> {                       \
    static constexpr DType value = DType::D; \
  };
BRAID_DTYPE_OF(float, kFloat32)
BRAID_DTYPE_OF(double, kFloat64)
BRAID_DTYPE_OF(float16, kFloat16)
BRAID_DTYPE_OF(bfloat16, kBFloat16)
BRAID_DTYPE_OF(uint8_t, kUInt8)
BRAID_DTYPE_OF(int8_t, kInt8)
BRAID_DTYPE_OF(int32_t, kInt32)
BRAID_DTYPE_OF(int64_t, kInt64)
BRAID_DTYPE_OF(bool, kBool)
#undef BRAID_DTYPE_OF

template <typename T>
struct type_tag {
  using type = T;
};

// Calls fn(type_tag<T>{}) with the C++ type of a dtype. Every kernel dispatches through this one switch.
template <typename Fn>
decltype(auto) dispatch_dtype(DType t, Fn&& fn) {
  switch (t) {
    case DType::kFloat32:
      return fn(type_tag<float>{});
    case DType::kFloat64:
      return fn(type_tag<double>{});
    case DType::kFloat16:
      return fn(type_tag<float16>{});
    case DType::kBFloat16:
      return fn(type_tag<bfloat16>{});
    case DType::kUInt8:
      return fn(type_tag<uint8_t>{});
    case DType::kInt8:
      return fn(type_tag<int8_t>{});
    case DType::kInt32:
      return fn(type_tag<int32_t>{});
    case DType::kInt64:
      return fn(type_tag<int64_t>{});
    case DType::kBool:
      return fn(type_tag<bool>{});
  }
  fail(ErrorKind::kType, "unknown dtype code ", static_cast<int>(t));
}

// Like dispatch_dtype, restricted to floating types; other dtypes raise a kType error naming the op.
template <typename Fn>
decltype(auto) dispatch_float(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case DType::kFloat32:
      return fn(type_tag<float>{});
    case DType::kFloat64:
      return fn(type_tag<double>{});
    case DType::kFloat16:
      return fn(type_tag<float16>{});
    case DType::kBFloat16:
      return fn(type_tag<bfloat16>{});
    default:
      fail(ErrorKind::kType, op, ": expected a floating-point dtype, got ", dtype_name(t));
  }
}

}  // namespace braid
