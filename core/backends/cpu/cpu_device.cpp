// Host memory backend. Every cpu(i) context allocates host memory; the id only selects a pool and a set of
// engine workers.
#include <cstdlib>
#include <cstring>

#include "base/error.h"
#include "tensor/device.h"

namespace braid {

namespace {

class CpuBackend final : public DeviceBackend {
 public:
  const char* name() const override { return "cpu"; }
  int device_count() const override { return kMaxDevicesPerType; }
  void* alloc(int, size_t bytes) override {
    // 64-byte alignment: a cache line and an AVX-512 vector; aligned_alloc wants a multiple of it.
    size_t rounded = (bytes + 63) / 64 * 64;
    return std::aligned_alloc(64, rounded ? rounded : 64);
  }
  void free(int, void* ptr) override { std::free(ptr); }
  void copy(void* dst, Context, const void* src, Context, size_t bytes) override {
    if (bytes)
      std::memcpy(dst, src, bytes);
  }
  void synchronize(int) override {}
};

}  // namespace

DeviceBackend& cpu_backend() {
  static CpuBackend b;
  return b;
}

DeviceBackend& backend_for(Context ctx) {
  return ctx.type == DeviceType::kCPU ? cpu_backend() : gpu_backend();
}

void check_context(Context ctx) {
  if (ctx.type != DeviceType::kCPU && ctx.type != DeviceType::kGPU) {
    fail(ErrorKind::kDevice, "unknown device type ", static_cast<int>(ctx.type), " (expected 1 = cpu, 2 = gpu)");
  }
  int n = backend_for(ctx).device_count();
  if (ctx.id < 0 || ctx.id >= n) {
    if (ctx.type == DeviceType::kGPU && n == 0) {
      fail(ErrorKind::kDevice, ctx.str(), " is not available: ", gpu_backend().name());
    }
    fail(ErrorKind::kDevice, ctx.str(), " is not available (", n, " device(s) of this type)");
  }
}

}  // namespace braid
