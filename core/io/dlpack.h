// Zero-copy exchange with other frameworks through DLPack: the 0.x ABI of "dltensor" capsules (numpy, PyTorch,
// JAX, CuPy) both ways, and the 1.x ABI for export. The structs below restate that ABI: their layout must not
// change.
#pragma once
#include <cstdint>

#include "tensor/tensor.h"

namespace braid {
namespace dlpack {

enum DeviceType : int32_t { kDLCPU = 1, kDLCUDA = 2, kDLCUDAHost = 3 };
enum TypeCode : uint8_t { kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBfloat = 4, kDLBool = 6 };

struct DLDevice {
  int32_t device_type;
  int32_t device_id;
};

struct DLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};

struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;  // in elements; NULL means compact row-major
  uint64_t byte_offset;
};

struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor* self);
};

// DLPack 1.x ("dltensor_versioned" capsules): what numpy 2 asks for, and the only form it maps writable.
struct DLPackVersion {
  uint32_t major;
  uint32_t minor;
};

struct DLManagedTensorVersioned {
  DLPackVersion version;
  void* manager_ctx;
  void (*deleter)(DLManagedTensorVersioned* self);
  uint64_t flags;  // bit 0: read-only, bit 1: a copy
  DLTensor dl_tensor;
};

}  // namespace dlpack

// Waits for t's pending writes, then returns a tensor viewing its memory; t's storage stays alive until the
// consumer calls the deleter.
dlpack::DLManagedTensor* to_dlpack(const Tensor& t);
// The same as a DLPack 1.0 tensor (writable, not a copy).
dlpack::DLManagedTensorVersioned* to_dlpack_versioned(const Tensor& t);

// Wraps the producer's memory without copying. On success braid owns mt and calls its deleter when the last
// view of the result dies; on error (unsupported dtype or device, bad layout) mt still belongs to the caller.
Tensor from_dlpack(dlpack::DLManagedTensor* mt);

}  // namespace braid
