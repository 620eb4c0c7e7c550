#include "backends/cpu/parallel.h"

#include <pthread.h>

#include <atomic>

namespace braid {

namespace {
std::atomic<int> g_threads{0};  // 0: OpenMP's default
std::atomic<bool> g_forked{false};

void on_fork_child() {
  g_forked.store(true);
}

struct AtForkHook {
  AtForkHook() { pthread_atfork(nullptr, nullptr, &on_fork_child); }
} g_hook;
}  // namespace

int cpu_num_threads() {
  if (serial_depth() > 0 || g_forked.load(std::memory_order_relaxed))
    return 1;
  int n = g_threads.load(std::memory_order_relaxed);
  if (n > 0)
    return n;
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void cpu_set_num_threads(int n) {
  g_threads.store(n > 0 ? n : 0);
}

void cpu_mark_forked_child() {
  g_forked.store(true);
}

}  // namespace braid
