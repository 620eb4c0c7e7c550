// Errors, version, engine, devices and memory.
#include "api_common.h"
#include "backends/cpu/parallel.h"
#include "braid_config.h"
#include "engine/engine.h"
#include "ops/invoke.h"
#include "tensor/device.h"

namespace braid {
namespace {
thread_local std::string g_last_error;
}
void set_last_error(const std::string& msg) {
  g_last_error = msg;
}
const char* last_error() {
  return g_last_error.c_str();
}
}  // namespace braid

using namespace braid;

const char* braid_get_last_error(void) {
  return last_error();
}

int braid_get_version(int32_t* major, int32_t* minor, int32_t* patch, int32_t* abi) {
  return guarded([&] {
    if (major)
      *major = kVersionMajor;
    if (minor)
      *minor = kVersionMinor;
    if (patch)
      *patch = kVersionPatch;
    if (abi)
      *abi = kAbiVersion;
  });
}

int braid_get_features(const char** features) {
  return guarded([&] {
    check_out(features, "braid_get_features", "features");
    *features = kFeatures;
  });
}

int braid_waitall(void) {
  return guarded([] { Engine::get().wait_all(); });
}

int braid_engine_type(const char** name) {
  return guarded([&] {
    check_out(name, "braid_engine_type", "name");
    *name = Engine::get().type_name();
  });
}

int braid_engine_num_pending(int64_t* n) {
  return guarded([&] {
    check_out(n, "braid_engine_num_pending", "n");
    *n = Engine::get().num_pending();
  });
}

int braid_set_num_threads(int32_t n) {
  return guarded([&] {
    BRAID_CHECK(n >= 0, kValue, "set_num_threads: n must be >= 0, got ", n);
    cpu_set_num_threads(n);
  });
}

int braid_get_num_threads(int32_t* n) {
  return guarded([&] {
    check_out(n, "braid_get_num_threads", "n");
    *n = cpu_num_threads();
  });
}

int braid_device_count(int32_t dev_type, int32_t* count) {
  return guarded([&] {
    check_out(count, "braid_device_count", "count");
    Context ctx = make_context(dev_type, 0, "braid_device_count");
    *count = dev_type == BRAID_CPU ? 1 : backend_for(ctx).device_count();
  });
}

int braid_memory_get_stats(int32_t dev_type, int32_t dev_id, braid_memory_stats* out) {
  return guarded([&] {
    check_out(out, "braid_memory_get_stats", "out");
    MemoryStats s = memory_stats(make_context(dev_type, dev_id, "memory_stats"));
    out->bytes_in_use = s.bytes_in_use;
    out->peak_bytes_in_use = s.peak_bytes_in_use;
    out->bytes_cached = s.bytes_cached;
    out->num_allocs = s.num_allocs;
    out->num_pool_hits = s.num_pool_hits;
  });
}

int braid_memory_release_cached(int32_t dev_type, int32_t dev_id) {
  return guarded([&] { release_cached_memory(make_context(dev_type, dev_id, "memory_release_cached")); });
}

int braid_random_seed(uint64_t seed, int32_t dev_type, int32_t dev_id) {
  return guarded([&] {
    if (dev_type == 0) {
      random_seed(seed);
    } else {
      random_seed(seed, make_context(dev_type, dev_id, "random_seed"));
    }
  });
}

int braid_random_get_state(int32_t dev_type, int32_t dev_id, uint64_t* key, uint64_t* counter) {
  return guarded([&] {
    check_out(key, "braid_random_get_state", "key");
    check_out(counter, "braid_random_get_state", "counter");
    random_get_state(make_context(dev_type, dev_id, "random_get_state"), key, counter);
  });
}

int braid_random_set_state(int32_t dev_type, int32_t dev_id, uint64_t key, uint64_t counter) {
  return guarded([&] { random_set_state(make_context(dev_type, dev_id, "random_set_state"), key, counter); });
}
