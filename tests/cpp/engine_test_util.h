// Helpers shared by the engine tests: which engine runs, and bounded waits (a gate an op blocks on, a rendezvous
// that proves ops overlap). Every wait has a timeout so a scheduling bug fails the test instead of hanging it.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "harness.h"

namespace enginetest {

using braid::Context;
using braid::Engine;
using braid::RunContext;
using braid::VarPtr;

constexpr auto kWaitLimit = std::chrono::seconds(20);

inline bool threaded() {
  return std::strcmp(Engine::get().type_name(), "ThreadedEngine") == 0;
}

inline int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && std::atoi(v) > 0 ? std::atoi(v) : fallback;
}

// What the threaded engine was configured with (main() sets these before the engine starts).
inline int cpu_workers() {
  return env_int("BRAID_CPU_WORKER_NTHREADS", 1);
}
inline int max_pending() {
  return env_int("BRAID_ENGINE_MAX_PENDING", 8192);
}

// A one-shot latch: ops block on it until the test opens it.
class Gate {
 public:
  void open() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  // False when the gate stayed closed for kWaitLimit.
  bool wait() {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_for(lk, kWaitLimit, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Counts arrivals; arrive_and_wait(n) returns true once n parties have arrived, false on timeout. Two ops that
// both return true were running at the same time.
class Rendezvous {
 public:
  bool arrive_and_wait(int n) {
    std::unique_lock<std::mutex> lk(mu_);
    ++arrived_;
    cv_.notify_all();
    return cv_.wait_for(lk, kWaitLimit, [&] { return arrived_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
};

// Sets *flag (under a lock) when an op runs; the test waits for it with a bound.
class Flag {
 public:
  void set() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      set_ = true;
    }
    cv_.notify_all();
  }
  bool is_set() {
    std::lock_guard<std::mutex> lk(mu_);
    return set_;
  }
  bool wait() {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_for(lk, kWaitLimit, [&] { return set_; });
  }
  // Waits at most d; used only to give a wrong implementation the chance to misbehave, never to order things.
  bool wait_for(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_for(lk, d, [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

inline void push(braid::AsyncFn fn, const std::vector<VarPtr>& reads, const std::vector<VarPtr>& writes,
                 const char* name = "test_op", Context ctx = Context::cpu()) {
  Engine::get().push(std::move(fn), ctx, reads, writes, name);
}

}  // namespace enginetest
