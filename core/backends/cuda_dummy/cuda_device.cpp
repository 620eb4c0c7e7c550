// GPU backend for builds without CUDA (BRAID_CUDA=OFF). It keeps every code path that mentions gpu(i) compiling
// and turns any use of a GPU into one clear error.
#include "base/error.h"
#include "tensor/device.h"

namespace braid {

namespace {

constexpr const char* kNoCuda =
    "this build of braid has no CUDA support (rebuild with -DBRAID_CUDA=ON on a machine with the CUDA toolkit)";

class NoCudaBackend final : public DeviceBackend {
 public:
  const char* name() const override { return kNoCuda; }
  int device_count() const override { return 0; }
  void* alloc(int id, size_t) override { fail(ErrorKind::kDevice, "gpu(", id, ") is not available: ", kNoCuda); }
  void free(int, void*) override {}
  void copy(void*, Context, const void*, Context, size_t) override { fail(ErrorKind::kDevice, kNoCuda); }
  void synchronize(int) override {}
};

}  // namespace

DeviceBackend& gpu_backend() {
  static NoCudaBackend b;
  return b;
}

}  // namespace braid
