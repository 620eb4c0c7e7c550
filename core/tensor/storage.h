// Device memory. Each context has a pooled allocator: freed blocks go back to a per-size free list and are
// reused, so a training loop does not call the system allocator every step. Storage is shared between an
// array and its views through shared_ptr.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/context.h"

namespace braid {

struct MemoryStats {
  int64_t bytes_in_use = 0;  // held by live storage (rounded block sizes)
  int64_t peak_bytes_in_use = 0;
  int64_t bytes_cached = 0;   // free blocks kept in the pool
  int64_t num_allocs = 0;     // requests served
  int64_t num_pool_hits = 0;  // requests served from the pool
};

class Storage {
 public:
  // Takes a block from the context's pool.
  Storage(Context ctx, size_t bytes);
  // Wraps memory owned elsewhere (DLPack import); deleter runs when the last reference goes.
  Storage(Context ctx, void* ptr, size_t bytes, std::function<void()> deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  Context ctx() const { return ctx_; }

 private:
  Context ctx_;
  void* ptr_ = nullptr;
  size_t bytes_ = 0;        // what was asked for
  size_t block_bytes_ = 0;  // what the pool handed out (0 for external memory)
  std::function<void()> deleter_;
};

using StoragePtr = std::shared_ptr<Storage>;

MemoryStats memory_stats(Context ctx);
// Returns cached free blocks of a context to the system.
void release_cached_memory(Context ctx);

}  // namespace braid
