// Lifetime of arrays with pending ops, and back-pressure on producers. Memory checks use contexts no other
// test allocates on, so the pool statistics move only because of the test.
#include <atomic>
#include <thread>

#include "engine_test_util.h"
#include "tensor/storage.h"
#include "tensor/tensor.h"

using namespace enginetest;
using braid::DType;
using braid::MemoryStats;
using braid::Tensor;

namespace {

constexpr int64_t kFloats = 1024;  // 4 KiB: exactly one pool block
constexpr int64_t kBlock = kFloats * 4;

MemoryStats stats(Context c) {
  return braid::memory_stats(c);
}

}  // namespace

// The last handle of an array is dropped while a slow reader is still queued: the op's own reference keeps the
// storage valid until it has run, then the block goes back to the pool (not to the system).
TEST(dropped_array_stays_valid_until_pending_reader_runs) {
  const Context ctx = Context::cpu(7);
  const MemoryStats before = stats(ctx);
  Gate gate;
  float seen = 0;
  if (!threaded())
    gate.open();
  {
    Tensor t = Tensor::empty({kFloats}, DType::kFloat32, ctx);
    push(
        [t](const RunContext&) {
          for (int64_t i = 0; i < kFloats; ++i)
            t.data<float>()[i] = 7.0f;
        },
        {}, {t.var_ptr()}, "fill", ctx);
    push(
        [t, &gate, &seen](const RunContext&) {
          CHECK(gate.wait());
          seen = t.data<float>()[kFloats - 1];
        },
        {t.var_ptr()}, {}, "slow_reader", ctx);
    CHECK_EQ(stats(ctx).bytes_in_use, before.bytes_in_use + kBlock);
  }  // t's handle is gone; only the pending ops hold the storage
  if (threaded())
    CHECK_EQ(stats(ctx).bytes_in_use, before.bytes_in_use + kBlock);
  gate.open();
  Engine::get().wait_all();  // returns after the finished ops released what they captured
  CHECK_EQ(seen, 7.0f);
  MemoryStats after = stats(ctx);
  CHECK_EQ(after.bytes_in_use, before.bytes_in_use);
  CHECK_EQ(after.bytes_cached, before.bytes_cached + kBlock);

  // The next array of that size reuses the cached block.
  Tensor again = Tensor::empty({kFloats}, DType::kFloat32, ctx);
  CHECK_EQ(stats(ctx).num_pool_hits, after.num_pool_hits + 1);
}

// A view shares its base's storage and variable: the storage lives as long as either does, and ops through the
// view are ordered with ops on the base.
TEST(view_keeps_storage_alive_and_shares_ordering) {
  const Context ctx = Context::cpu(8);
  const MemoryStats before = stats(ctx);
  Tensor view;
  {
    Tensor base = Tensor::empty({4, 256}, DType::kFloat32, ctx);
    push(
        [base](const RunContext&) {
          for (int64_t i = 0; i < base.numel(); ++i)
            base.data<float>()[i] = static_cast<float>(i);
        },
        {}, {base.var_ptr()}, "fill", ctx);
    view = base.reshape_view({256, 4});
    CHECK(view.var_ptr() == base.var_ptr());
  }
  Engine::get().wait_for_var(view.var_ptr());  // waits for the fill pushed through the base
  Engine::get().wait_all();                    // and for the fill op to release its own reference to the storage
  CHECK_EQ(view.data<float>()[1023], 1023.0f);
  CHECK_EQ(stats(ctx).bytes_in_use, before.bytes_in_use + kBlock);
  view = Tensor();
  CHECK_EQ(stats(ctx).bytes_in_use, before.bytes_in_use);
}

// With BRAID_ENGINE_MAX_PENDING = N, a producer that outruns the workers blocks in push once N ops are
// unfinished. Every op writes one variable whose first writer waits on a gate, so nothing can finish until
// the test opens it: the producers must stall with exactly N ops pending.
TEST(back_pressure_bounds_pending_ops) {
  const int bound = max_pending();
  if (!threaded()) {
    VarPtr v = Engine::get().new_var();
    for (int i = 0; i < 1000; ++i)
      push([](const RunContext&) {}, {}, {v});
    CHECK_EQ(Engine::get().num_pending(), 0);
    return;
  }
  if (bound > 100000)
    SKIP("BRAID_ENGINE_MAX_PENDING is too large to fill quickly");
  VarPtr v = Engine::get().new_var();
  Gate gate;
  std::atomic<int64_t> pushed{0}, ran{0}, max_seen{0};
  auto note = [&](int64_t n) {
    int64_t m = max_seen.load();
    while (n > m && !max_seen.compare_exchange_weak(m, n)) {
    }
  };
  push(
      [&](const RunContext&) {
        CHECK(gate.wait());
        ran++;
      },
      {}, {v}, "gate");
  pushed++;
  constexpr int kProducers = 3;
  const int per_producer = bound;  // 3N ops in all: the bound must be hit
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&] {
      for (int i = 0; i < per_producer; ++i) {
        push(
            [&](const RunContext&) {
              note(Engine::get().num_pending());
              ran++;
            },
            {}, {v}, "tiny");
        pushed++;
        note(Engine::get().num_pending());
      }
    });
  }
  // Poll (bounded) until the producers stall; polling only observes, it orders nothing.
  auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
  while (pushed.load() < bound && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // room for a wrong engine to overshoot
  CHECK_EQ(pushed.load(), static_cast<int64_t>(bound));
  CHECK_EQ(Engine::get().num_pending(), static_cast<int64_t>(bound));
  gate.open();
  for (auto& t : producers)
    t.join();
  Engine::get().wait_all();
  CHECK_EQ(ran.load(), 1 + static_cast<int64_t>(kProducers) * per_producer);
  CHECK(max_seen.load() <= bound);
  CHECK_EQ(Engine::get().num_pending(), 0);
}
