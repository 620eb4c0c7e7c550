/* The C ABI used from plain C, with nothing but braid/c_api.h: version, arrays, host copies, op invocation by
 * handle with packed attributes, error codes and messages, the registry listing, memory statistics and
 * waitall. Built as C99 with -Wall -Wextra -pedantic -Werror, so the header stays valid C. */
#include <braid/c_api.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                                                                   \
  do {                                                                                                                \
    if (!(cond)) {                                                                                                    \
      fprintf(stderr, "%s:%d: FAILED: %s (last error: \"%s\")\n", __FILE__, __LINE__, #cond, braid_get_last_error()); \
      failures++;                                                                                                     \
    }                                                                                                                 \
  } while (0)
#define CHECK_OK(call) CHECK((call) == BRAID_OK)

/* A float32 array on cpu(0) holding n values. */
static braid_array make(const int64_t* shape, int32_t ndim, const float* values, size_t n) {
  braid_array a = NULL;
  CHECK_OK(braid_array_create(shape, ndim, BRAID_FLOAT32, BRAID_CPU, 0, &a));
  if (a)
    CHECK_OK(braid_array_copy_from_host(a, values, n * sizeof(float)));
  return a;
}

static int all_close(const float* got, const float* want, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i) {
    if (fabsf(got[i] - want[i]) > 1e-6f)
      return 0;
  }
  return 1;
}

static braid_op find_op(const char* name) {
  braid_op op = NULL;
  CHECK_OK(braid_op_find(name, &op));
  return op;
}

/* The position of attribute `name` in the op's attribute list, or -1. */
static int32_t attr_index(braid_op op, const char* name) {
  int32_t n = 0, i;
  CHECK_OK(braid_op_get_info(op, NULL, NULL, NULL, NULL, &n, NULL));
  for (i = 0; i < n; ++i) {
    const char* attr_name = NULL;
    CHECK_OK(braid_op_attr_info(op, i, &attr_name, NULL, NULL, NULL, NULL, NULL, NULL));
    if (attr_name && strcmp(attr_name, name) == 0)
      return i;
  }
  return -1;
}

static braid_attr float_attr(int32_t index, double value) {
  braid_attr a;
  memset(&a, 0, sizeof a);
  a.index = index;
  a.kind = BRAID_ATTR_FLOAT;
  a.f = value;
  return a;
}

/* Runs a one-output op and copies the result (n floats) to out. */
static void run(braid_op op, int32_t nin, const braid_array* in, int32_t nattr, const braid_attr* attrs, float* out,
                size_t n) {
  braid_array res[1] = {NULL};
  int32_t nout = 0;
  CHECK_OK(braid_op_invoke(op, nin, in, nattr, attrs, BRAID_CPU, 0, 1, &nout, res));
  CHECK(nout == 1);
  if (res[0]) {
    CHECK_OK(braid_array_copy_to_host(res[0], out, n * sizeof(float)));
    CHECK_OK(braid_array_free(res[0]));
  }
}

static void test_version(void) {
  int32_t major = -1, minor = -1, patch = -1, abi = -1;
  const char *features = NULL, *engine = NULL;
  CHECK_OK(braid_get_version(&major, &minor, &patch, &abi));
  CHECK(major >= 0 && minor >= 0 && patch >= 0 && abi >= 1);
  CHECK_OK(braid_get_features(&features));
  CHECK_OK(braid_engine_type(&engine));
  CHECK(engine != NULL);
  printf("braid %d.%d.%d, ABI %d, features \"%s\", engine %s\n", major, minor, patch, abi, features ? features : "?",
         engine ? engine : "?");
}

static void test_array_metadata_and_copies(void) {
  const int64_t shape[2] = {2, 3};
  const float values[6] = {1, 2, 3, 4, 5, 6};
  float back[6] = {0};
  int32_t ndim = 0, dtype = -1, dev_type = 0, dev_id = -1;
  const int64_t* got_shape = NULL;
  braid_array a = make(shape, 2, values, 6);
  CHECK_OK(braid_array_get_shape(a, &ndim, &got_shape));
  CHECK(ndim == 2 && got_shape && got_shape[0] == 2 && got_shape[1] == 3);
  CHECK_OK(braid_array_get_dtype(a, &dtype));
  CHECK(dtype == BRAID_FLOAT32);
  CHECK_OK(braid_array_get_context(a, &dev_type, &dev_id));
  CHECK(dev_type == BRAID_CPU && dev_id == 0);
  CHECK_OK(braid_array_copy_to_host(a, back, sizeof back));
  CHECK(all_close(back, values, 6));
  CHECK(braid_array_copy_to_host(a, back, 5 * sizeof(float)) == BRAID_ERR_VALUE); /* wrong size */
  CHECK_OK(braid_array_free(a));
}

static void test_invoke(void) {
  const int64_t s23[2] = {2, 3}, s13[2] = {1, 3}, s4[1] = {4};
  const float av[6] = {1, 2, 3, 4, 5, 6}, bv[3] = {10, 20, 30}, xv[4] = {-2, -0.5f, 0.5f, 3};
  const float want_add[6] = {11, 22, 33, 14, 25, 36}, want_plus[4] = {0.5f, 2, 3, 5.5f};
  const float want_clip[4] = {-1, -0.5f, 0.5f, 1};
  float out[6];
  braid_array ab[2], x;
  braid_op add = find_op("broadcast_add"), plus = find_op("_plus_scalar"), clip = find_op("clip");
  braid_attr attrs[2];

  ab[0] = make(s23, 2, av, 6);
  ab[1] = make(s13, 2, bv, 3);
  run(add, 2, ab, 0, NULL, out, 6);
  CHECK(all_close(out, want_add, 6));

  x = make(s4, 1, xv, 4);
  attrs[0] = float_attr(attr_index(plus, "scalar"), 2.5);
  CHECK(attrs[0].index >= 0);
  run(plus, 1, &x, 1, attrs, out, 4);
  CHECK(all_close(out, want_plus, 4));

  attrs[0] = float_attr(attr_index(clip, "a_min"), -1.0);
  attrs[1] = float_attr(attr_index(clip, "a_max"), 1.0);
  run(clip, 1, &x, 2, attrs, out, 4);
  CHECK(all_close(out, want_clip, 4));

  CHECK_OK(braid_array_free(ab[0]));
  CHECK_OK(braid_array_free(ab[1]));
  CHECK_OK(braid_array_free(x));
}

static void test_errors(void) {
  const int64_t s3[1] = {3}, s2[1] = {2};
  const float v[3] = {1, 2, 3};
  braid_array in[2], res[1] = {NULL}, bad[2];
  int32_t nout = 0, ndim = 0;
  const int64_t* shape = NULL;
  const char* name = NULL;
  float buf[3];
  braid_op add = find_op("broadcast_add"), op = NULL;

  in[0] = make(s3, 1, v, 3);
  in[1] = make(s2, 1, v, 2);
  CHECK(braid_op_invoke(add, 2, in, 0, NULL, BRAID_CPU, 0, 1, &nout, res) == BRAID_ERR_VALUE);
  CHECK(strstr(braid_get_last_error(), "broadcast_add") != NULL);
  CHECK(braid_op_find("no_such_op", &op) == BRAID_ERR_VALUE);
  CHECK(strlen(braid_get_last_error()) > 0);

  /* NULL handles and pointers are errors, never crashes. */
  CHECK(braid_array_get_shape(NULL, &ndim, &shape) != BRAID_OK);
  CHECK(braid_array_copy_to_host(NULL, buf, sizeof buf) != BRAID_OK);
  CHECK(braid_array_copy_from_host(in[0], NULL, sizeof buf) != BRAID_OK);
  CHECK(braid_array_wait_to_read(NULL) != BRAID_OK);
  CHECK(braid_op_get_info(NULL, &name, NULL, NULL, NULL, NULL, NULL) != BRAID_OK);
  CHECK(braid_op_invoke(NULL, 2, in, 0, NULL, BRAID_CPU, 0, 1, &nout, res) != BRAID_OK);
  bad[0] = in[0];
  bad[1] = NULL;
  CHECK(braid_op_invoke(add, 2, bad, 0, NULL, BRAID_CPU, 0, 1, &nout, res) == BRAID_ERR_VALUE);
  CHECK(braid_op_invoke(add, 2, in, 0, NULL, BRAID_CPU, 0, 1, NULL, res) != BRAID_OK);
  CHECK(braid_array_create(s3, 1, BRAID_FLOAT32, BRAID_CPU, 0, NULL) != BRAID_OK);
  CHECK(braid_memory_get_stats(BRAID_CPU, 0, NULL) != BRAID_OK);
  CHECK(braid_array_create(s3, 1, 99, BRAID_CPU, 0, &res[0]) == BRAID_ERR_TYPE); /* unknown dtype */
  CHECK(braid_array_create(s3, 1, BRAID_FLOAT32, 42, 0, &res[0]) == BRAID_ERR_DEVICE);
  CHECK_OK(braid_array_free(NULL)); /* like free(NULL) */

  CHECK_OK(braid_array_free(in[0]));
  CHECK_OK(braid_array_free(in[1]));
  CHECK_OK(braid_waitall()); /* the failed calls left nothing behind to report */
}

static void test_registry_listing(void) {
  int32_t n = 0, i, named = 0;
  CHECK_OK(braid_op_count(&n));
  CHECK(n > 20);
  for (i = 0; i < n; ++i) {
    braid_op op = NULL, again = NULL;
    const char *name = NULL, *doc = NULL;
    int32_t nin = 0, nout = 0, nattr = 0, nalias = 0;
    CHECK_OK(braid_op_at(i, &op));
    CHECK_OK(braid_op_get_info(op, &name, &doc, &nin, &nout, &nattr, &nalias));
    if (name && name[0])
      named++;
    /* -1: any number of inputs, or as many outputs as an attribute says */
    CHECK((nout >= 1 || nout == -1) && nattr >= 0 && nalias >= 0 && nin >= -1);
    CHECK_OK(braid_op_find(name, &again));
    CHECK(again == op);
  }
  CHECK(named == n);
  CHECK(braid_op_at(n, NULL) != BRAID_OK);
  printf("registry: %d ops\n", (int)n);
}

static void test_memory_stats(void) {
  const int64_t shape[1] = {1 << 18}; /* 1 MiB of float32 */
  braid_memory_stats before, during, after;
  braid_array a = NULL;
  CHECK_OK(braid_waitall());
  CHECK_OK(braid_memory_get_stats(BRAID_CPU, 0, &before));
  CHECK_OK(braid_array_create(shape, 1, BRAID_FLOAT32, BRAID_CPU, 0, &a));
  CHECK_OK(braid_memory_get_stats(BRAID_CPU, 0, &during));
  CHECK(during.bytes_in_use == before.bytes_in_use + (1 << 20));
  CHECK(during.num_allocs == before.num_allocs + 1);
  CHECK(during.peak_bytes_in_use >= during.bytes_in_use);
  CHECK_OK(braid_array_free(a));
  CHECK_OK(braid_waitall());
  CHECK_OK(braid_memory_get_stats(BRAID_CPU, 0, &after));
  CHECK(after.bytes_in_use == before.bytes_in_use);
  CHECK(after.bytes_cached == before.bytes_cached + (1 << 20));
  CHECK_OK(braid_memory_release_cached(BRAID_CPU, 0));
  CHECK_OK(braid_memory_get_stats(BRAID_CPU, 0, &after));
  CHECK(after.bytes_cached == 0);
  printf("memory: in use %lld, peak %lld, allocations %lld, pool hits %lld\n", (long long)after.bytes_in_use,
         (long long)after.peak_bytes_in_use, (long long)after.num_allocs, (long long)after.num_pool_hits);
}

int main(void) {
  test_version();
  test_array_metadata_and_copies();
  test_invoke();
  test_errors();
  test_registry_listing();
  test_memory_stats();
  CHECK_OK(braid_waitall());
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("all C ABI checks passed\n");
  return 0;
}
