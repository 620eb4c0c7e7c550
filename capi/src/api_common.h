// Boundary helpers for the C ABI: every exported function runs its body through guarded(), which turns any
// exception into a status code and the thread-local message.
#pragma once
#include <new>
#include <string>

#include "base/error.h"
#include "braid/c_api.h"
#include "tensor/tensor.h"

struct braid_array_t {
  braid::Tensor t;
};

namespace braid {

void set_last_error(const std::string& msg);

template <typename F>
int guarded(F&& body) {
  try {
    body();
    return BRAID_OK;
  } catch (const Error& e) {
    set_last_error(e.what());
    return static_cast<int>(e.kind());
  } catch (const std::bad_alloc&) {
    set_last_error("out of memory");
    return BRAID_ERR_MEMORY;
  } catch (const std::exception& e) {
    set_last_error(e.what());
    return BRAID_ERR_RUNTIME;
  } catch (...) {
    set_last_error("unknown error");
    return BRAID_ERR_RUNTIME;
  }
}

inline const Tensor& tensor_of(braid_array a, const char* fn, const char* arg = "array") {
  BRAID_CHECK(a != nullptr, kValue, fn, ": ", arg, " handle is NULL");
  return a->t;
}

inline braid_array new_handle(Tensor t) {
  return new braid_array_t{std::move(t)};
}

inline Context make_context(int32_t dev_type, int32_t dev_id, const char* fn) {
  BRAID_CHECK(dev_type == BRAID_CPU || dev_type == BRAID_GPU, kDevice, fn, ": unknown device type ", dev_type,
              " (expected 1 = cpu or 2 = gpu)");
  BRAID_CHECK(dev_id >= 0 && dev_id < kMaxDevicesPerType, kDevice, fn, ": device id ", dev_id, " is out of range");
  return Context{static_cast<DeviceType>(dev_type), dev_id};
}

template <typename T>
void check_out(T* p, const char* fn, const char* arg) {
  BRAID_CHECK(p != nullptr, kValue, fn, ": output pointer '", arg, "' is NULL");
}

}  // namespace braid
