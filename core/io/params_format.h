// MXNet's NDArray list format: the files of MXNet 1.x `nd.save` / `nd.load` and Gluon's `save_parameters`
// (.params). All integers are little-endian:
//
//   u64 0x112 (list magic), u64 reserved, u64 array count, arrays..., u64 name count (0 or the array count),
//   names... (u64 byte length + bytes, no terminator)
//
// An array (NDArray V2, magic 0xF993FAC9):
//   u32 magic, i32 storage type (0 dense, 1 row_sparse, 2 csr), shape, context (i32 device type, i32 device id),
//   i32 type flag (MXNet's dtype code), then the elements, row-major and little-endian.
//   A shape is i32 ndim + ndim i64 dimensions. ndim 0 marks an uninitialised array and ends the record.
// V3 (magic 0xF993FACA) is the same layout with numpy shape semantics: ndim 0 is a scalar, and ndim -1 or a
// dimension -1 mark an uninitialised array. MXNet refuses to load a file that mixes V2 and V3 arrays, and loads
// V3 only under numpy semantics (mx.npx.load, or nd.load inside `with mx.np_shape(True)`).
// Older files have no storage type: V1 (magic 0xF993FAC8) starts with the shape; the oldest format has no
// magic, its first u32 is ndim, followed by u32 dimensions.
#pragma once
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace braid {

struct NDArrayList {
  std::vector<Tensor> arrays;
  std::vector<std::string> names;  // empty, or one per array
};

// Loads every array onto cpu(0). Corrupt or truncated input raises kIO naming the input, the byte offset and
// what was expected there; sparse arrays and dtypes braid lacks raise kNotImplemented.
NDArrayList load_ndarray_list(const std::string& path);
NDArrayList load_ndarray_list(const void* data, size_t size);

// Arrays are written as V2, the format MXNet's nd.save writes, unless one of them is 0-d: then every array is
// written as V3, because V2 cannot hold a scalar and MXNet rejects files that mix the two. Both wait for the
// arrays' pending writes first and raise their errors before anything is written. names is empty or one per
// array.
void save_ndarray_list(const std::string& path, const std::vector<Tensor>& arrays,
                       const std::vector<std::string>& names);
// The serialised size, for save_ndarray_list_to; then writes exactly that many bytes into buf.
size_t ndarray_list_nbytes(const std::vector<Tensor>& arrays, const std::vector<std::string>& names);
void save_ndarray_list_to(void* buf, size_t size, const std::vector<Tensor>& arrays,
                          const std::vector<std::string>& names);

}  // namespace braid
