// The small interface a device backend implements: raw memory, copies and synchronisation. Kernels are not
// here: they live with their op in the registry (one slot per backend). A build without CUDA links the dummy
// GPU backend, which compiles the same code paths and reports a clear error when a GPU is asked for.
#pragma once
#include <cstddef>

#include "base/context.h"

namespace braid {

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;
  virtual const char* name() const = 0;
  virtual int device_count() const = 0;
  // Throws kDevice when the device does not exist; returns nullptr when memory is exhausted.
  virtual void* alloc(int dev_id, size_t bytes) = 0;
  virtual void free(int dev_id, void* ptr) = 0;
  // Copies bytes where at least one side lives on this backend's device; the other may be host memory.
  virtual void copy(void* dst, Context dst_ctx, const void* src, Context src_ctx, size_t bytes) = 0;
  // Waits for the device's queued work (a no-op on the CPU).
  virtual void synchronize(int dev_id) = 0;
};

DeviceBackend& cpu_backend();
DeviceBackend& gpu_backend();  // the CUDA backend, or the dummy one in builds without CUDA
DeviceBackend& backend_for(Context ctx);
// Validates that ctx names an existing device; throws kDevice with the context in the message.
void check_context(Context ctx);

}  // namespace braid
