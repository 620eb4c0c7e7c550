// Start-up of the WebAssembly build. Without pthreads the threaded engine cannot start its workers, so the
// build runs the synchronous engine: every op executes in the caller's thread and its error is raised at once.
// Engine::get() reads BRAID_ENGINE_TYPE on its first use, which comes after the module's static constructors.
#include <cstdlib>

namespace {
struct UseNaiveEngine {
  UseNaiveEngine() {
#if !defined(__EMSCRIPTEN_PTHREADS__)
    setenv("BRAID_ENGINE_TYPE", "NaiveEngine", 1);
#endif
  }
} use_naive_engine;
}  // namespace
