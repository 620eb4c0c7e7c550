#include "io/dlpack.h"

#include <cstdint>
#include <memory>

#include "tensor/device.h"

namespace braid {

using dlpack::DLDataType;
using dlpack::DLManagedTensor;
using dlpack::DLTensor;

namespace {

constexpr int kMaxNdim = 32;

// What an exported tensor owns: a reference to the braid array (keeping its storage alive) and the shape and
// strides that the DLTensor points into. One of the two managed tensors is handed out.
struct Exported {
  Tensor t;
  Shape shape;
  Shape strides;
  dlpack::DLManagedTensor mt;
  dlpack::DLManagedTensorVersioned mtv;
};

void delete_exported(DLManagedTensor* self) {
  delete static_cast<Exported*>(self->manager_ctx);
}
void delete_exported_versioned(dlpack::DLManagedTensorVersioned* self) {
  delete static_cast<Exported*>(self->manager_ctx);
}

// Zero-size arrays have no storage; some consumers reject a NULL data pointer even then.
alignas(64) char empty_data[64];

// braid's dtypes as DLPack (type code, bits), one lane each.
struct DTypeMapping {
  DType dtype;
  uint8_t code;
  uint8_t bits;
};
constexpr DTypeMapping kDTypes[] = {
    {DType::kFloat32, dlpack::kDLFloat, 32}, {DType::kFloat64, dlpack::kDLFloat, 64},
    {DType::kFloat16, dlpack::kDLFloat, 16}, {DType::kBFloat16, dlpack::kDLBfloat, 16},
    {DType::kUInt8, dlpack::kDLUInt, 8},     {DType::kInt8, dlpack::kDLInt, 8},
    {DType::kInt32, dlpack::kDLInt, 32},     {DType::kInt64, dlpack::kDLInt, 64},
    {DType::kBool, dlpack::kDLBool, 8},
};

DLDataType to_dl_dtype(DType t) {
  for (const DTypeMapping& m : kDTypes) {
    if (m.dtype == t) {
      return {m.code, m.bits, 1};
    }
  }
  fail(ErrorKind::kType, "to_dlpack: unknown dtype code ", static_cast<int>(t));
}

DType from_dl_dtype(DLDataType d) {
  for (const DTypeMapping& m : kDTypes) {
    if (d.lanes == 1 && m.code == d.code && m.bits == d.bits) {
      return m.dtype;
    }
  }
  fail(ErrorKind::kType, "from_dlpack: DLPack dtype (code ", static_cast<int>(d.code), ", bits ",
       static_cast<int>(d.bits), ", lanes ", d.lanes,
       ") is not supported; braid takes float16/32/64, bfloat16, int8/32/64, uint8 and bool with one lane");
}

Context context_of(const dlpack::DLDevice& dev) {
  // CUDA host (pinned) memory is ordinary host memory to the CPU.
  if (dev.device_type == dlpack::kDLCPU || dev.device_type == dlpack::kDLCUDAHost) {
    return Context::cpu(0);
  }
  if (dev.device_type == dlpack::kDLCUDA) {
    BRAID_CHECK(dev.device_id >= 0 && dev.device_id < kMaxDevicesPerType, kDevice, "from_dlpack: CUDA device id ",
                dev.device_id, " is out of range");
    Context ctx = Context::gpu(dev.device_id);
    check_context(ctx);
    return ctx;
  }
  fail(ErrorKind::kDevice, "from_dlpack: DLPack device type ", dev.device_type,
       " is not supported (expected 1 = CPU, 2 = CUDA or 3 = CUDA host)");
}

std::unique_ptr<Exported> export_tensor(const Tensor& t, const char* op) {
  BRAID_CHECK(t.defined(), kValue, op, ": the array is undefined");
  Engine::get().wait_for_var(t.var_ptr());
  auto e = std::make_unique<Exported>();
  e->t = t;
  e->shape = t.shape();
  e->strides = t.strides();
  return e;
}

DLTensor describe(Exported& e) {
  const Tensor& t = e.t;
  DLTensor d;
  d.data = t.numel() > 0 ? t.raw_data() : empty_data;
  d.device = {t.ctx().is_cpu() ? dlpack::kDLCPU : dlpack::kDLCUDA, t.ctx().is_cpu() ? 0 : t.ctx().id};
  d.ndim = t.ndim();
  d.dtype = to_dl_dtype(t.dtype());
  d.shape = e.shape.data();
  d.strides = e.strides.data();
  d.byte_offset = 0;
  return d;
}

}  // namespace

DLManagedTensor* to_dlpack(const Tensor& t) {
  std::unique_ptr<Exported> e = export_tensor(t, "to_dlpack");
  e->mt.dl_tensor = describe(*e);
  e->mt.manager_ctx = e.get();
  e->mt.deleter = &delete_exported;
  return &e.release()->mt;
}

dlpack::DLManagedTensorVersioned* to_dlpack_versioned(const Tensor& t) {
  std::unique_ptr<Exported> e = export_tensor(t, "to_dlpack");
  e->mtv.version = {1, 0};
  e->mtv.flags = 0;
  e->mtv.dl_tensor = describe(*e);
  e->mtv.manager_ctx = e.get();
  e->mtv.deleter = &delete_exported_versioned;
  return &e.release()->mtv;
}

Tensor from_dlpack(DLManagedTensor* mt) {
  BRAID_CHECK(mt != nullptr, kValue, "from_dlpack: the DLManagedTensor pointer is NULL");
  const DLTensor& d = mt->dl_tensor;
  Context ctx = context_of(d.device);
  DType dtype = from_dl_dtype(d.dtype);
  BRAID_CHECK(d.ndim >= 0 && d.ndim <= kMaxNdim, kValue, "from_dlpack: ndim ", d.ndim, " is outside [0, ", kMaxNdim,
              "]");
  BRAID_CHECK(d.ndim == 0 || d.shape != nullptr, kValue, "from_dlpack: shape is NULL");
  Shape shape(d.shape, d.shape + d.ndim);
  for (int64_t s : shape) {
    BRAID_CHECK(s >= 0, kValue, "from_dlpack: shape ", shape_str(shape), " has a negative dimension");
  }
  Shape strides = d.strides ? Shape(d.strides, d.strides + d.ndim) : contiguous_strides(shape);
  char* data = d.data ? static_cast<char*>(d.data) + d.byte_offset : nullptr;
  bool empty = shape_numel(shape) == 0;
  BRAID_CHECK(empty || d.data != nullptr, kValue, "from_dlpack: data is NULL for an array of shape ", shape_str(shape));
  size_t esize = dtype_size(dtype);
  BRAID_CHECK(empty || reinterpret_cast<uintptr_t>(data) % esize == 0, kValue,
              "from_dlpack: the data pointer is not aligned to the ", esize, "-byte elements of ", dtype_name(dtype),
              "; copy the array first");

  if (mt->deleter == &delete_exported) {
    // braid's own export coming back: a view sharing the original's engine variable, so ops stay ordered.
    Tensor base = static_cast<Exported*>(mt->manager_ctx)->t;
    Tensor v = base.view(base.shape(), base.strides(), base.impl()->offset);
    mt->deleter(mt);
    return v;
  }
  // The deleter must not run if wrapping fails half-way: the caller still owns mt then.
  auto armed = std::make_shared<bool>(false);
  Tensor t = Tensor::from_external(empty ? nullptr : data, shape, strides, dtype, ctx, [mt, armed] {
    if (*armed && mt->deleter) {
      mt->deleter(mt);
    }
  });
  *armed = true;
  return t;
}

}  // namespace braid
