// A minimal test harness (no test framework is available offline): TEST registers a function, CHECK* record
// failures without stopping the test, REQUIRE* stop it. run_all() runs the tests named on the command line
// (all when none), under a watchdog that aborts the process when one hangs, so a deadlock fails instead of
// blocking ctest forever.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace harness {

struct TestCase {
  const char* name;
  void (*fn)();
};

inline std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

// Failures may be recorded from engine worker threads, hence the lock.
inline std::mutex& fail_mu() {
  static std::mutex m;
  return m;
}
inline int& failures() {
  static int n = 0;
  return n;
}

inline void report(const char* file, int line, const std::string& what) {
  std::lock_guard<std::mutex> lk(fail_mu());
  failures()++;
  std::fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what.c_str());
}

struct StopTest {};  // thrown by REQUIRE and SKIP to leave the current test

inline bool& skipped() {
  static bool s = false;
  return s;
}

struct Registrar {
  Registrar(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

template <typename A, typename B>
std::string describe(const char* expr, const A& a, const B& b) {
  std::ostringstream os;
  os << expr << " (" << a << " vs " << b << ")";
  return os.str();
}

// Runs the selected tests; a test that takes longer than timeout_s aborts the process (a deadlock).
inline int run_all(int argc, char** argv, int timeout_s = 60) {
  int run = 0, failed_tests = 0;
  for (const TestCase& t : registry()) {
    bool selected = argc <= 1;
    for (int i = 1; i < argc; ++i)
      selected = selected || std::strcmp(argv[i], t.name) == 0;
    if (!selected)
      continue;
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::thread watchdog([&] {
      std::unique_lock<std::mutex> lk(m);
      if (!cv.wait_for(lk, std::chrono::seconds(timeout_s), [&] { return done; })) {
        std::fprintf(stderr, "TIMEOUT: %s did not finish in %d s (deadlock?)\n", t.name, timeout_s);
        std::abort();
      }
    });
    int before = failures();
    skipped() = false;
    auto start = std::chrono::steady_clock::now();
    try {
      t.fn();
    } catch (const StopTest&) {
    } catch (const std::exception& e) {
      report(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    {
      std::lock_guard<std::mutex> lk(m);
      done = true;
    }
    cv.notify_one();
    watchdog.join();
    bool ok = failures() == before;
    failed_tests += !ok;
    ++run;
    std::printf("[%s] %s (%.0f ms)\n", !ok ? "FAILED" : skipped() ? " SKIP " : "  OK  ", t.name, ms);
    std::fflush(stdout);
  }
  std::printf("%d test(s) run, %d failed\n", run, failed_tests);
  if (run == 0)
    std::fprintf(stderr, "no test matched the arguments\n");
  return failed_tests == 0 && run > 0 ? 0 : 1;
}

}  // namespace harness

#define HARNESS_CAT2(a, b) a##b
#define HARNESS_CAT(a, b) HARNESS_CAT2(a, b)
#define TEST(name)                                                        \
  static void test_##name();                                              \
  static harness::Registrar HARNESS_CAT(reg_, name)(#name, &test_##name); \
  static void test_##name()

#define CHECK(cond) ((cond) ? (void)0 : harness::report(__FILE__, __LINE__, "CHECK(" #cond ")"))
#define CHECK_EQ(a, b)                                                                \
  do {                                                                                \
    auto&& ha_ = (a);                                                                 \
    auto&& hb_ = (b);                                                                 \
    if (!(ha_ == hb_))                                                                \
      harness::report(__FILE__, __LINE__, harness::describe(#a " == " #b, ha_, hb_)); \
  } while (0)
#define REQUIRE(cond)                                            \
  do {                                                           \
    if (!(cond)) {                                               \
      harness::report(__FILE__, __LINE__, "REQUIRE(" #cond ")"); \
      throw harness::StopTest();                                 \
    }                                                            \
  } while (0)
// Leaves the current test, which counts as passed, saying why it does not apply to this configuration.
#define SKIP(why)                        \
  do {                                   \
    std::printf("  skipped: %s\n", why); \
    harness::skipped() = true;           \
    throw harness::StopTest();           \
  } while (0)
// Checks that stmt throws exception type E; binds it to `e` for the checks in on_throw.
#define CHECK_THROWS_AS(stmt, E, on_throw)                             \
  do {                                                                 \
    bool thrown_ = false;                                              \
    try {                                                              \
      stmt;                                                            \
    } catch (const E& e) {                                             \
      thrown_ = true;                                                  \
      on_throw;                                                        \
    }                                                                  \
    if (!thrown_)                                                      \
      harness::report(__FILE__, __LINE__, #stmt " did not throw " #E); \
  } while (0)
#define CHECK_NOTHROW(stmt)                                                          \
  do {                                                                               \
    try {                                                                            \
      stmt;                                                                          \
    } catch (const std::exception& e) {                                              \
      harness::report(__FILE__, __LINE__, std::string(#stmt " threw: ") + e.what()); \
    }                                                                                \
  } while (0)
