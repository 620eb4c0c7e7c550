// Parallel loops for CPU kernels. OpenMP where the build has it (not in WebAssembly), serial otherwise.
#pragma once
#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace braid {

// Threads a kernel may use: OMP's setting, or 1 in a child process forked after OpenMP started (libgomp is not
// fork-safe: a forked child that enters a parallel region hangs).
int cpu_num_threads();
void cpu_set_num_threads(int n);
void cpu_mark_forked_child();

// While one exists, parallel_for runs serially in this thread. The engine wraps the small ops it runs in the
// pushing thread in one: a thread team of the caller's beside the workers' makes libgomp see more threads
// than cores and put every idle thread to sleep, so each later parallel region paid a wake-up.
inline int& serial_depth() {
  thread_local int depth = 0;
  return depth;
}
struct SerialScope {
  SerialScope() { ++serial_depth(); }
  ~SerialScope() { --serial_depth(); }
  SerialScope(const SerialScope&) = delete;
  SerialScope& operator=(const SerialScope&) = delete;
};

// Splits [0, n) into one contiguous chunk per thread and calls f(begin, end) on each. Runs serially when the
// work is under grain items, since waking a thread team costs a few microseconds.
template <typename F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0)
    return;
  int nt = cpu_num_threads();
  if (grain < 1)
    grain = 1;
  int64_t want = (n + grain - 1) / grain;
  if (want < nt)
    nt = static_cast<int>(want);
  if (nt <= 1) {
    f(int64_t(0), n);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num();
    int nth = omp_get_num_threads();
    int64_t chunk = (n + nth - 1) / nth;
    int64_t b = std::min<int64_t>(n, chunk * t);
    int64_t e = std::min<int64_t>(n, b + chunk);
    if (b < e)
      f(b, e);
  }
#else
  f(int64_t(0), n);
#endif
}

// Elements below which an elementwise loop stays on one thread.
constexpr int64_t kParallelGrain = 32768;

}  // namespace braid
