#include "base/dtype.h"

namespace braid {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat64:
    case DType::kInt64:
      return 8;
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kFloat16:
    case DType::kBFloat16:
      return 2;
    case DType::kUInt8:
    case DType::kInt8:
    case DType::kBool:
      return 1;
  }
  fail(ErrorKind::kType, "unknown dtype code ", static_cast<int>(t));
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
    case DType::kFloat16:
      return "float16";
    case DType::kBFloat16:
      return "bfloat16";
    case DType::kUInt8:
      return "uint8";
    case DType::kInt8:
      return "int8";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kBool:
      return "bool";
  }
  return "unknown";
}

bool dtype_is_valid(int32_t code) {
  return (code >= 0 && code <= 7) || code == 12;
}

DType dtype_from_name(const std::string& n) {
  for (int32_t c : {0, 1, 2, 3, 4, 5, 6, 7, 12}) {
    if (n == dtype_name(static_cast<DType>(c)))
      return static_cast<DType>(c);
  }
  if (n == "float")
    return DType::kFloat32;
  if (n == "double")
    return DType::kFloat64;
  if (n == "half")
    return DType::kFloat16;
  if (n == "int")
    return DType::kInt32;
  if (n == "long")
    return DType::kInt64;
  fail(ErrorKind::kType, "unknown dtype '", n,
       "'; expected one of float32, float64, float16, bfloat16, uint8, int8, int32, int64, bool");
}

bool dtype_is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
}

bool dtype_is_integer(DType t) {
  return t == DType::kUInt8 || t == DType::kInt8 || t == DType::kInt32 || t == DType::kInt64;
}

namespace {
// Rank on numpy's lattice; ties between distinct types are resolved in promote_types.
int rank(DType t) {
  switch (t) {
    case DType::kBool:
      return 0;
    case DType::kUInt8:
    case DType::kInt8:
      return 1;
    case DType::kInt32:
      return 2;
    case DType::kInt64:
      return 3;
    case DType::kFloat16:
    case DType::kBFloat16:
      return 4;
    case DType::kFloat32:
      return 5;
    case DType::kFloat64:
      return 6;
  }
  return -1;
}
}  // namespace

DType promote_types(DType a, DType b) {
  if (a == b)
    return a;
  int ra = rank(a), rb = rank(b);
  if (ra == rb) {
    // uint8 with int8 needs int16, which braid lacks: int32 holds both. float16 with bfloat16 needs float32.
    return ra == 1 ? DType::kInt32 : DType::kFloat32;
  }
  return ra > rb ? a : b;
}

}  // namespace braid
