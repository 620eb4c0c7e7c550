// Array handles: creation, metadata, host copies, views and synchronisation.
#include <cstdint>
#include <cstring>

#include "api_common.h"
#include "ops/kernel_util.h"
#include "ops/transfer.h"
#include "tensor/device.h"

using namespace braid;

namespace {

Shape shape_from(const int64_t* shape, int32_t ndim, const char* fn) {
  BRAID_CHECK(ndim >= 0 && ndim <= 32, kValue, fn, ": ndim must be in [0, 32], got ", ndim);
  BRAID_CHECK(ndim == 0 || shape != nullptr, kValue, fn, ": shape is NULL");
  Shape s(shape, shape + ndim);
  for (int64_t d : s)
    BRAID_CHECK(d >= 0, kValue, fn, ": shape ", shape_str(s), " has a negative dimension");
  return s;
}

// Runs fn on a worker once the array's pending ops allow, and waits for it.
void sync_access(const Tensor& t, bool write, const std::function<void()>& fn, const char* name) {
  std::vector<VarPtr> none, vars{t.var_ptr()};
  Engine::get().wait_for_var(t.var_ptr());
  if (write) {
    Engine::get().push([fn](const RunContext&) { fn(); }, t.ctx(), none, vars, name);
  } else {
    Engine::get().push([fn](const RunContext&) { fn(); }, t.ctx(), vars, none, name);
  }
  Engine::get().wait_for_var(t.var_ptr());
}

}  // namespace

int braid_array_create(const int64_t* shape, int32_t ndim, int32_t dtype, int32_t dev_type, int32_t dev_id,
                       braid_array* out) {
  return guarded([&] {
    check_out(out, "braid_array_create", "out");
    BRAID_CHECK(dtype_is_valid(dtype), kType, "array_create: unknown dtype code ", dtype);
    Context ctx = make_context(dev_type, dev_id, "array_create");
    *out = new_handle(Tensor::empty(shape_from(shape, ndim, "array_create"), static_cast<DType>(dtype), ctx));
  });
}

int braid_array_free(braid_array arr) {
  return guarded([&] { delete arr; });
}

int braid_array_get_shape(braid_array arr, int32_t* ndim, const int64_t** shape) {
  return guarded([&] {
    const Tensor& t = tensor_of(arr, "array_get_shape");
    if (ndim)
      *ndim = t.ndim();
    if (shape)
      *shape = t.shape().data();
  });
}

int braid_array_get_strides(braid_array arr, const int64_t** strides) {
  return guarded([&] {
    check_out(strides, "braid_array_get_strides", "strides");
    *strides = tensor_of(arr, "array_get_strides").strides().data();
  });
}

int braid_array_get_dtype(braid_array arr, int32_t* dtype) {
  return guarded([&] {
    check_out(dtype, "braid_array_get_dtype", "dtype");
    *dtype = static_cast<int32_t>(tensor_of(arr, "array_get_dtype").dtype());
  });
}

int braid_array_get_context(braid_array arr, int32_t* dev_type, int32_t* dev_id) {
  return guarded([&] {
    const Tensor& t = tensor_of(arr, "array_get_context");
    if (dev_type)
      *dev_type = static_cast<int32_t>(t.ctx().type);
    if (dev_id)
      *dev_id = t.ctx().id;
  });
}

int braid_array_is_contiguous(braid_array arr, int32_t* out) {
  return guarded([&] {
    check_out(out, "braid_array_is_contiguous", "out");
    *out = tensor_of(arr, "array_is_contiguous").is_contiguous();
  });
}

int braid_array_wait_to_read(braid_array arr) {
  return guarded([&] { Engine::get().wait_for_var(tensor_of(arr, "wait_to_read").var_ptr()); });
}

int braid_array_wait_to_write(braid_array arr) {
  return guarded([&] {
    const Tensor& t = tensor_of(arr, "wait_to_write");
    sync_access(t, true, [] {}, "wait_to_write");
  });
}

int braid_array_copy_from_host(braid_array arr, const void* data, size_t nbytes) {
  return guarded([&] {
    const Tensor& t = tensor_of(arr, "copy_from_host");
    BRAID_CHECK(nbytes == t.nbytes(), kValue, "copy_from_host: got ", nbytes, " bytes, the array of shape ",
                shape_str(t.shape()), " and dtype ", dtype_name(t.dtype()), " holds ", t.nbytes());
    BRAID_CHECK(data != nullptr || nbytes == 0, kValue, "copy_from_host: data is NULL");
    if (nbytes == 0)
      return;
    Tensor src = Tensor::from_external(const_cast<void*>(data), t.shape(), contiguous_strides(t.shape()), t.dtype(),
                                       Context::cpu(), nullptr);
    sync_access(
        t, true,
        [&] {
          if (t.ctx().is_cpu()) {
            copy_into(src, t);
          } else {
            BRAID_CHECK(t.is_contiguous(), kNotImplemented, "copy_from_host: a non-contiguous GPU view");
            backend_for(t.ctx()).copy(t.raw_data(), t.ctx(), data, Context::cpu(), nbytes);
          }
        },
        "copy_from_host");
  });
}

int braid_array_copy_to_host(braid_array arr, void* data, size_t nbytes) {
  return guarded([&] {
    const Tensor& t = tensor_of(arr, "copy_to_host");
    BRAID_CHECK(nbytes == t.nbytes(), kValue, "copy_to_host: buffer has ", nbytes, " bytes, the array of shape ",
                shape_str(t.shape()), " and dtype ", dtype_name(t.dtype()), " holds ", t.nbytes());
    BRAID_CHECK(data != nullptr || nbytes == 0, kValue, "copy_to_host: data is NULL");
    Engine::get().wait_for_var(t.var_ptr());
    if (nbytes == 0)
      return;
    Tensor dst =
        Tensor::from_external(data, t.shape(), contiguous_strides(t.shape()), t.dtype(), Context::cpu(), nullptr);
    if (t.ctx().is_cpu()) {
      // Readers may run concurrently with us, and nothing writes t until we return: copy in this thread.
      copy_into(t, dst);
    } else {
      Tensor c = t;
      sync_access(
          t, false,
          [&] {
            BRAID_CHECK(c.is_contiguous(), kNotImplemented, "copy_to_host: a non-contiguous GPU view");
            backend_for(c.ctx()).copy(data, Context::cpu(), c.raw_data(), c.ctx(), nbytes);
          },
          "copy_to_host");
    }
  });
}

int braid_array_copy_to_device(braid_array src, int32_t dev_type, int32_t dev_id, braid_array* out) {
  return guarded([&] {
    check_out(out, "braid_array_copy_to_device", "out");
    const Tensor& s = tensor_of(src, "copyto", "src");
    Context to = make_context(dev_type, dev_id, "copyto");
    Tensor d = copy_to_device(s, to);
    *out = new_handle(d);
  });
}

int braid_array_assign(braid_array dst, braid_array src) {
  return guarded([&] {
    const Tensor& d = tensor_of(dst, "assign", "dst");
    const Tensor& s = tensor_of(src, "assign", "src");
    BRAID_CHECK(d.ctx() == s.ctx(), kDevice, "assign: the value is on ", s.ctx().str(), " but the target is on ",
                d.ctx().str());
    Shape b = broadcast_shapes(s.shape(), d.shape(), "assign");
    BRAID_CHECK(b == d.shape(), kValue, "assign: a value of shape ", shape_str(s.shape()),
                " cannot be broadcast to the target shape ", shape_str(d.shape()));
    std::vector<VarPtr> reads, writes{d.var_ptr()};
    if (s.var_ptr() != d.var_ptr())
      reads.push_back(s.var_ptr());
    // src and dst may overlap (x[1:] = x[:-1]): copy through a temporary then.
    bool overlap = s.var_ptr() == d.var_ptr();
    Engine::get().push(
        [d, s, overlap](const RunContext&) {
          if (overlap) {
            Tensor tmp = Tensor::empty(s.shape(), s.dtype(), s.ctx());
            copy_into(s, tmp);
            copy_into(tmp, d);
          } else {
            copy_into(s, d);
          }
        },
        d.ctx(), reads, writes, "assign");
  });
}

int braid_array_view(braid_array arr, const int64_t* shape, const int64_t* strides, int32_t ndim, int64_t offset,
                     braid_array* out) {
  return guarded([&] {
    check_out(out, "braid_array_view", "out");
    const Tensor& t = tensor_of(arr, "array_view");
    Shape s = shape_from(shape, ndim, "array_view");
    BRAID_CHECK(ndim == 0 || strides != nullptr, kValue, "array_view: strides is NULL");
    Shape st(strides, strides + ndim);
    int64_t lo = t.impl()->offset + offset, hi = lo;
    for (int32_t i = 0; i < ndim; ++i) {
      if (s[i] == 0) {
        lo = hi = t.impl()->offset;
        break;
      }
      (st[i] < 0 ? lo : hi) += st[i] * (s[i] - 1);
    }
    const Storage* mem = t.impl()->storage.get();
    if (shape_numel(s) > 0) {
      BRAID_CHECK(mem != nullptr, kIndex, "array_view: the array has no elements to view");
      int64_t cap = mem->bytes() ? static_cast<int64_t>(mem->bytes() / dtype_size(t.dtype())) : INT64_MAX;
      BRAID_CHECK(lo >= 0 && hi < cap, kIndex, "array_view: the view reaches elements [", lo, ", ", hi,
                  "] outside the array's storage of ", cap, " elements");
    }
    *out = new_handle(t.view(s, st, t.impl()->offset + offset));
  });
}

int braid_array_reshape_view(braid_array arr, const int64_t* shape, int32_t ndim, braid_array* out) {
  return guarded([&] {
    check_out(out, "braid_array_reshape_view", "out");
    const Tensor& t = tensor_of(arr, "reshape");
    BRAID_CHECK(ndim >= 0 && (ndim == 0 || shape != nullptr), kValue, "reshape: shape is NULL");
    std::vector<int64_t> spec(shape, shape + ndim);
    *out = new_handle(t.reshape_view(resolve_reshape(t.shape(), spec, false, "reshape")));
  });
}

int braid_array_shares_memory(braid_array a, braid_array b, int32_t* out) {
  return guarded([&] {
    check_out(out, "braid_array_shares_memory", "out");
    const Tensor& x = tensor_of(a, "shares_memory", "a");
    const Tensor& y = tensor_of(b, "shares_memory", "b");
    *out = x.impl()->storage && x.impl()->storage == y.impl()->storage;
  });
}
