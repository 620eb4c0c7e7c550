#include "tensor/storage.h"

#include <map>
#include <mutex>
#include <vector>

#include "base/error.h"
#include "tensor/device.h"

namespace braid {

namespace {

// Rounds a request to a pool size class: powers of two up to 1 MiB, then multiples of 1 MiB. Coarse classes
// make reuse likely; the waste is bounded by 2x for small blocks and 1 MiB for large ones.
size_t size_class(size_t bytes) {
  if (bytes == 0)
    bytes = 1;
  constexpr size_t kMiB = size_t(1) << 20;
  if (bytes >= kMiB)
    return (bytes + kMiB - 1) / kMiB * kMiB;
  size_t c = 64;
  while (c < bytes)
    c <<= 1;
  return c;
}

class Pool {
 public:
  explicit Pool(Context ctx) : ctx_(ctx) {}

  void* take(size_t block) {
    std::lock_guard<std::mutex> lk(mu_);
    stats_.num_allocs++;
    void* p = nullptr;
    auto it = free_.find(block);
    if (it != free_.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
      stats_.bytes_cached -= static_cast<int64_t>(block);
      stats_.num_pool_hits++;
    } else {
      p = backend_for(ctx_).alloc(ctx_.id, block);
      if (!p) {
        // Out of memory: give the cache back and try once more before failing.
        release_locked();
        p = backend_for(ctx_).alloc(ctx_.id, block);
      }
      BRAID_CHECK(p, kMemory, "out of memory on ", ctx_.str(), ": could not allocate ", block, " bytes (",
                  stats_.bytes_in_use, " bytes in use)");
    }
    stats_.bytes_in_use += static_cast<int64_t>(block);
    if (stats_.bytes_in_use > stats_.peak_bytes_in_use)
      stats_.peak_bytes_in_use = stats_.bytes_in_use;
    return p;
  }

  void give_back(void* p, size_t block) {
    std::lock_guard<std::mutex> lk(mu_);
    free_[block].push_back(p);
    stats_.bytes_in_use -= static_cast<int64_t>(block);
    stats_.bytes_cached += static_cast<int64_t>(block);
  }

  MemoryStats stats() {
    std::lock_guard<std::mutex> lk(mu_);
    return stats_;
  }

  void release() {
    std::lock_guard<std::mutex> lk(mu_);
    release_locked();
  }

 private:
  void release_locked() {
    for (auto& kv : free_) {
      for (void* p : kv.second)
        backend_for(ctx_).free(ctx_.id, p);
    }
    free_.clear();
    stats_.bytes_cached = 0;
  }

  Context ctx_;
  std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;
  MemoryStats stats_;
};

Pool& pool_for(Context ctx) {
  // Pools live for the whole process: storage can be released from engine threads during shutdown.
  static Pool* pools[2][kMaxDevicesPerType] = {};
  static std::mutex mu;
  int t = ctx.type == DeviceType::kCPU ? 0 : 1;
  BRAID_CHECK(ctx.id >= 0 && ctx.id < kMaxDevicesPerType, kDevice, "device id ", ctx.id, " of ", ctx.str(),
              " is out of range (expected 0 <= id < ", kMaxDevicesPerType, ")");
  std::lock_guard<std::mutex> lk(mu);
  if (!pools[t][ctx.id])
    pools[t][ctx.id] = new Pool(ctx);
  return *pools[t][ctx.id];
}

}  // namespace

Storage::Storage(Context ctx, size_t bytes) : ctx_(ctx), bytes_(bytes), block_bytes_(size_class(bytes)) {
  ptr_ = pool_for(ctx).take(block_bytes_);
}

Storage::Storage(Context ctx, void* ptr, size_t bytes, std::function<void()> deleter)
    : ctx_(ctx), ptr_(ptr), bytes_(bytes), block_bytes_(0), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (block_bytes_) {
    pool_for(ctx_).give_back(ptr_, block_bytes_);
  } else if (deleter_) {
    deleter_();
  }
}

MemoryStats memory_stats(Context ctx) {
  return pool_for(ctx).stats();
}

void release_cached_memory(Context ctx) {
  pool_for(ctx).release();
}

}  // namespace braid
