// DLPack exchange: arrays out to other frameworks and their tensors in, without copying.
#include <memory>

#include "api_common.h"
#include "io/dlpack.h"

using namespace braid;

int braid_array_to_dlpack(braid_array arr, void** managed_tensor) {
  return guarded([&] {
    check_out(managed_tensor, "braid_array_to_dlpack", "managed_tensor");
    *managed_tensor = to_dlpack(tensor_of(arr, "to_dlpack"));
  });
}

int braid_array_to_dlpack_versioned(braid_array arr, void** managed_tensor) {
  return guarded([&] {
    check_out(managed_tensor, "braid_array_to_dlpack_versioned", "managed_tensor");
    *managed_tensor = to_dlpack_versioned(tensor_of(arr, "to_dlpack"));
  });
}

int braid_array_from_dlpack(void* managed_tensor, braid_array* out) {
  return guarded([&] {
    check_out(out, "braid_array_from_dlpack", "out");
    // The handle comes first: once from_dlpack succeeds braid owns the tensor, and no later failure may hand
    // it back to the caller half-released.
    auto h = std::make_unique<braid_array_t>();
    h->t = from_dlpack(static_cast<dlpack::DLManagedTensor*>(managed_tensor));
    *out = h.release();
  });
}
