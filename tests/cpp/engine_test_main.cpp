// Entry point of the engine tests. The engine reads its configuration once, when first used, so defaults are
// set here before that: several CPU workers (to show readers overlap on one context) and a small pending-op
// bound (so back-pressure engages quickly). ctest runs the binary once per engine (BRAID_ENGINE_TYPE); values
// already in the environment win.
#include <cstdio>
#include <cstdlib>

#include "engine_test_util.h"

int main(int argc, char** argv) {
  setenv("BRAID_CPU_WORKER_NTHREADS", "3", 0);
  setenv("BRAID_ENGINE_MAX_PENDING", "64", 0);
  std::printf("engine: %s, BRAID_CPU_WORKER_NTHREADS=%d, BRAID_ENGINE_MAX_PENDING=%d\n",
              braid::Engine::get().type_name(), enginetest::cpu_workers(), enginetest::max_pending());
  return harness::run_all(argc, argv);
}
