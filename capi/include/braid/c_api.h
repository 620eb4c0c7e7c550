/*
 * braid's C ABI: the one interface every language binding (Python, R, JavaScript) goes through.
 *
 * Rules (see docs/architecture.md):
 *  - Plain C. Handles are opaque pointers; no C++ type or exception crosses this boundary.
 *  - Every function returns an int status: 0 (BRAID_OK) on success, otherwise a BRAID_ERR_* kind, and
 *    braid_get_last_error() returns the message in the calling thread.
 *  - Append-only: existing declarations, enum values and struct layouts never change. New things are added
 *    at the end of their section, and braid_get_version() reports the ABI version they arrived in.
 *  - Ops are invoked by handle with attributes passed typed and packed (braid_attr), never as strings parsed
 *    on every call.
 *  - Arrays are asynchronous: an op returns once it is scheduled. Functions that hand data to the caller
 *    (copy_to_host, to_dlpack, save) wait for pending writes first and report errors raised by them.
 *
 * Declarations between BRAID_CDEF_BEGIN and BRAID_CDEF_END use no preprocessor features, so bindings such
 * as cffi can read them directly.
 */
#ifndef BRAID_C_API_H_
#define BRAID_C_API_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define BRAID_API __declspec(dllexport)
#else
#define BRAID_API __attribute__((visibility("default")))
#endif

/* BRAID_CDEF_BEGIN */

/* ---- Status codes (the kind of error; the message comes from braid_get_last_error) ---- */
enum {
  BRAID_OK = 0,
  BRAID_ERR_RUNTIME = 1, /* generic failure */
  BRAID_ERR_VALUE = 2,   /* bad argument value: shape, axis, attribute */
  BRAID_ERR_TYPE = 3,    /* wrong dtype or argument type */
  BRAID_ERR_INDEX = 4,   /* index out of range */
  BRAID_ERR_IO = 5,      /* file missing, corrupt or truncated */
  BRAID_ERR_NOT_IMPLEMENTED = 6,
  BRAID_ERR_DEVICE = 7, /* device unavailable, or arrays on different devices */
  BRAID_ERR_MEMORY = 8  /* allocation failed */
};

/* ---- Element types (MXNet's type flags) ---- */
enum {
  BRAID_FLOAT32 = 0,
  BRAID_FLOAT64 = 1,
  BRAID_FLOAT16 = 2,
  BRAID_UINT8 = 3,
  BRAID_INT32 = 4,
  BRAID_INT8 = 5,
  BRAID_INT64 = 6,
  BRAID_BOOL = 7,
  BRAID_BFLOAT16 = 12
};

/* ---- Device types ---- */
enum { BRAID_CPU = 1, BRAID_GPU = 2 };

/* ---- Attribute kinds: how an op declares an attribute, and which braid_attr field carries a value ---- */
enum {
  BRAID_ATTR_INT = 1,    /* braid_attr.i */
  BRAID_ATTR_FLOAT = 2,  /* braid_attr.f */
  BRAID_ATTR_BOOL = 3,   /* braid_attr.i (0 or 1) */
  BRAID_ATTR_STRING = 4, /* braid_attr.s (NUL-terminated) */
  BRAID_ATTR_TUPLE = 5,  /* braid_attr.tuple[0 .. tuple_len) */
  BRAID_ATTR_DTYPE = 6,  /* braid_attr.i (a BRAID_<dtype> code) */
  BRAID_ATTR_NONE = 7    /* value None, for optional attributes (only in braid_attr.kind) */
};

typedef struct braid_array_t* braid_array; /* an n-dimensional array (NDArray) */
typedef const struct braid_op_t* braid_op; /* a registered operator; valid for the process lifetime */

/* One attribute value of an op call. index is the attribute's position in braid_op_attr_info. */
typedef struct braid_attr {
  int32_t index;
  int32_t kind;
  int64_t i;
  double f;
  const char* s;
  const int64_t* tuple;
  int64_t tuple_len;
} braid_attr;

typedef struct braid_memory_stats {
  int64_t bytes_in_use;      /* held by live arrays, in pool block sizes */
  int64_t peak_bytes_in_use; /* maximum of bytes_in_use since start */
  int64_t bytes_cached;      /* free blocks kept by the pool for reuse */
  int64_t num_allocs;        /* allocation requests */
  int64_t num_pool_hits;     /* requests served from the pool */
} braid_memory_stats;

/* ---- Errors and version ---- */
/* The message of the last failed call in this thread ("" if none). Valid until the next failing call. */
BRAID_API const char* braid_get_last_error(void);
/* Library version; abi is the C ABI revision, raised whenever declarations are appended. */
BRAID_API int braid_get_version(int32_t* major, int32_t* minor, int32_t* patch, int32_t* abi);
/* Build features as a space-separated list, e.g. "OPENMP BLAS" (CUDA, MPI, DNNL when built in). */
BRAID_API int braid_get_features(const char** features);

/* ---- Engine ---- */
BRAID_API int braid_waitall(void);
BRAID_API int braid_engine_type(const char** name);
BRAID_API int braid_engine_num_pending(int64_t* n);
BRAID_API int braid_set_num_threads(int32_t n); /* threads per CPU kernel; 0 restores OpenMP's default */
BRAID_API int braid_get_num_threads(int32_t* n);

/* ---- Devices and memory ---- */
BRAID_API int braid_device_count(int32_t dev_type, int32_t* count);
BRAID_API int braid_memory_get_stats(int32_t dev_type, int32_t dev_id, braid_memory_stats* out);
BRAID_API int braid_memory_release_cached(int32_t dev_type, int32_t dev_id);

/* ---- Arrays ---- */
/* A new contiguous array with uninitialised contents. */
BRAID_API int braid_array_create(const int64_t* shape, int32_t ndim, int32_t dtype, int32_t dev_type, int32_t dev_id,
                                 braid_array* out);
/* Releases the handle. Memory returns to the pool once every pending op on the array has run. */
BRAID_API int braid_array_free(braid_array arr);
/* shape and strides (in elements) stay valid while the handle lives. */
BRAID_API int braid_array_get_shape(braid_array arr, int32_t* ndim, const int64_t** shape);
BRAID_API int braid_array_get_strides(braid_array arr, const int64_t** strides);
BRAID_API int braid_array_get_dtype(braid_array arr, int32_t* dtype);
BRAID_API int braid_array_get_context(braid_array arr, int32_t* dev_type, int32_t* dev_id);
BRAID_API int braid_array_is_contiguous(braid_array arr, int32_t* out);
/* Waits for pending writes (and, for wait_to_write, reads) and raises their errors. */
BRAID_API int braid_array_wait_to_read(braid_array arr);
BRAID_API int braid_array_wait_to_write(braid_array arr);
/* Copies between host memory and the array; nbytes must equal the array's size in bytes. Synchronous. */
BRAID_API int braid_array_copy_from_host(braid_array arr, const void* data, size_t nbytes);
BRAID_API int braid_array_copy_to_host(braid_array arr, void* data, size_t nbytes);
/* Asynchronous copy into a new array on another (or the same) device. */
BRAID_API int braid_array_copy_to_device(braid_array src, int32_t dev_type, int32_t dev_id, braid_array* out);
/* Asynchronous copy of src into dst: src broadcasts to dst's shape; the dtype converts. Devices must match. */
BRAID_API int braid_array_assign(braid_array dst, braid_array src);
/* A view sharing storage and engine variable. offset is in elements from arr's first element. */
BRAID_API int braid_array_view(braid_array arr, const int64_t* shape, const int64_t* strides, int32_t ndim,
                               int64_t offset, braid_array* out);
/* A reshaped view of a contiguous array; shape may use MXNet's special values 0, -1, -2, -3, -4. */
BRAID_API int braid_array_reshape_view(braid_array arr, const int64_t* shape, int32_t ndim, braid_array* out);
/* 1 when both arrays use the same storage (one is a view of the other or they share a base). */
BRAID_API int braid_array_shares_memory(braid_array a, braid_array b, int32_t* out);

/* ---- Operators ---- */
BRAID_API int braid_op_count(int32_t* n);
BRAID_API int braid_op_at(int32_t index, braid_op* out);
/* By name or alias; BRAID_ERR_VALUE when unknown. */
BRAID_API int braid_op_find(const char* name, braid_op* out);
/* num_inputs is -1 for ops taking any number of inputs; num_outputs is -1 for ops whose output count is an
   attribute (split's num_outputs). Strings live as long as the process. A None element of a tuple attribute
   (slice's begin/end/step) is passed as INT64_MIN. */
BRAID_API int braid_op_get_info(braid_op op, const char** name, const char** doc, int32_t* num_inputs,
                                int32_t* num_outputs, int32_t* num_attrs, int32_t* num_aliases);
BRAID_API int braid_op_input_name(braid_op op, int32_t index, const char** name);
/* How many of the last inputs a call may omit (FullyConnected's bias when no_bias=True). */
BRAID_API int braid_op_num_optional_inputs(braid_op op, int32_t* n);
BRAID_API int braid_op_alias(braid_op op, int32_t index, const char** alias);
/* choices: allowed string values separated by '|' ("" when unrestricted). */
BRAID_API int braid_op_attr_info(braid_op op, int32_t index, const char** name, int32_t* kind, int32_t* optional,
                                 int32_t* required, const char** default_repr, const char** choices, const char** doc);
/* Runs op on inputs; new output arrays are written to outputs[0 .. *num_outputs). dev_type/dev_id pick the
   device of ops without inputs and are ignored otherwise. */
BRAID_API int braid_op_invoke(braid_op op, int32_t num_inputs, const braid_array* inputs, int32_t num_attrs,
                              const braid_attr* attrs, int32_t dev_type, int32_t dev_id, int32_t max_outputs,
                              int32_t* num_outputs, braid_array* outputs);
/* Runs op writing into existing arrays (in-place updates, out=). */
BRAID_API int braid_op_invoke_into(braid_op op, int32_t num_inputs, const braid_array* inputs, int32_t num_attrs,
                                   const braid_attr* attrs, int32_t num_outputs, const braid_array* outputs);

/* Fast paths for a binding's operators (a + b, a * 2): a single-output op without attributes on one or two
   inputs (b may be NULL for one), and an op whose only attribute is a float at index 0 (the _*_scalar ops).
   Same semantics as braid_op_invoke, fewer arguments to marshal. */
BRAID_API int braid_op_call(braid_op op, braid_array a, braid_array b, braid_array* out);
BRAID_API int braid_op_call_scalar(braid_op op, braid_array a, double scalar, braid_array* out);

/* ---- Random numbers ---- */
/* Seeds the stream of one device, or of every device when dev_type is 0. */
BRAID_API int braid_random_seed(uint64_t seed, int32_t dev_type, int32_t dev_id);

/* ---- Files: MXNet's NDArray list format (.params) ---- */
/* names may be NULL (an unnamed list). */
BRAID_API int braid_ndarray_save(const char* path, int32_t num, const braid_array* arrays, const char* const* names);
/* Arrays are created on cpu(0). Free the lists with braid_ndarray_list_free. num_names is 0 or num. */
BRAID_API int braid_ndarray_load(const char* path, int32_t* num, braid_array** arrays, int32_t* num_names,
                                 const char*** names);
BRAID_API int braid_ndarray_load_from_buffer(const void* data, size_t size, int32_t* num, braid_array** arrays,
                                             int32_t* num_names, const char*** names);
/* Serialises to a buffer owned by the library; free it with braid_buffer_free. */
BRAID_API int braid_ndarray_save_to_buffer(int32_t num, const braid_array* arrays, const char* const* names,
                                           const void** data, size_t* size);
BRAID_API int braid_buffer_free(const void* data);
/* Frees the lists returned by braid_ndarray_load*, but not the arrays, which the caller now owns. */
BRAID_API int braid_ndarray_list_free(braid_array* arrays, const char** names, int32_t num_names);

/* ---- DLPack ---- */
/* A DLManagedTensor* (DLPack 0.x ABI) viewing arr's memory after its pending writes; call its deleter to
   release it. */
BRAID_API int braid_array_to_dlpack(braid_array arr, void** managed_tensor);
/* Wraps a DLManagedTensor* without copying; braid calls its deleter when the last view is freed. On failure
   the tensor still belongs to the caller. */
BRAID_API int braid_array_from_dlpack(void* managed_tensor, braid_array* out);
/* The same as a DLManagedTensorVersioned* (DLPack 1.x ABI: version 1.0, flags 0), for consumers asking for
   max_version >= 1.0; numpy 2 maps only these writable. */
BRAID_API int braid_array_to_dlpack_versioned(braid_array arr, void** managed_tensor);

/* ---- Autograd ---- */
/* Recording and training modes of the calling thread; prev receives the old value (may be NULL). */
BRAID_API int braid_autograd_set_recording(int32_t on, int32_t* prev);
BRAID_API int braid_autograd_set_training(int32_t on, int32_t* prev);
BRAID_API int braid_autograd_is_recording(int32_t* out);
BRAID_API int braid_autograd_is_training(int32_t* out);
/* Marks arr as a gradient leaf: grad_req 0 = null (detach), 1 = write, 2 = add. */
BRAID_API int braid_array_attach_grad(braid_array arr, int32_t grad_req);
/* A new handle to arr's gradient buffer, or *out = NULL when none is attached. */
BRAID_API int braid_array_get_grad(braid_array arr, braid_array* out);
/* A handle to the same data without autograd state (stops gradients). */
BRAID_API int braid_array_detach(braid_array arr, braid_array* out);
/* Backpropagates from heads into the leaves' gradient buffers. head_grads may be NULL, or hold NULL entries
   (a head without a gradient is differentiated as if summed). */
BRAID_API int braid_autograd_backward(int32_t num_heads, const braid_array* heads, const braid_array* head_grads,
                                      int32_t retain_graph, int32_t create_graph, int32_t train_mode);
/* Gradients of heads with respect to variables, written as new handles to grads[0 .. num_vars). */
BRAID_API int braid_autograd_grad(int32_t num_heads, const braid_array* heads, const braid_array* head_grads,
                                  int32_t num_vars, const braid_array* variables, int32_t retain_graph,
                                  int32_t create_graph, int32_t train_mode, braid_array* grads);

/* A gradient function supplied by a binding (autograd.Function). It receives new handles to the output
   gradients (the callee owns and frees them) and writes one new handle per input gradient into in_grads
   (NULL where none flows; braid takes ownership). Returns 0, or non-zero when it failed. */
typedef int (*braid_custom_backward_fn)(void* state, int32_t num_out_grads, braid_array* out_grads,
                                        int32_t num_in_grads, braid_array* in_grads);
/* Called once when the recorded node is destroyed, to release state. */
typedef void (*braid_custom_release_fn)(void* state);
/* Records outputs as computed from inputs by a custom function with the given backward. */
BRAID_API int braid_autograd_record_custom(int32_t num_inputs, const braid_array* inputs, int32_t num_outputs,
                                           const braid_array* outputs, braid_custom_backward_fn backward,
                                           braid_custom_release_fn release, void* state);

/* ---- Symbols: the graph IR (braid.sym, hybridize, MXNet's -symbol.json) ---- */
typedef struct braid_symbol_t* braid_symbol;
typedef struct braid_graph_t* braid_graph;
typedef struct braid_predictor_t* braid_predictor;

BRAID_API int braid_op_num_visible_outputs(braid_op op, int32_t* n); /* outputs a call returns; -1: all */
BRAID_API int braid_symbol_variable(const char* name, braid_symbol* out);
/* Applies op to inputs. Attributes are key/value strings in MXNet's form ("(3, 3)", "True"). An input may be
   NULL, and trailing inputs may be left out: they become variables named name_inputname. name may be NULL or
   empty (an automatic name). */
BRAID_API int braid_symbol_create(braid_op op, int32_t num_attrs, const char* const* keys, const char* const* values,
                                  int32_t num_inputs, const braid_symbol* inputs, const char* name, braid_symbol* out);
BRAID_API int braid_symbol_group(int32_t num, const braid_symbol* symbols, braid_symbol* out);
/* A copy of sym with the variables named names[i] replaced by the single-output symbols inputs[i]. */
BRAID_API int braid_symbol_compose(braid_symbol sym, int32_t num, const char* const* names, const braid_symbol* inputs,
                                   braid_symbol* out);
BRAID_API int braid_symbol_free(braid_symbol sym);
BRAID_API int braid_symbol_num_outputs(braid_symbol sym, int32_t* n);
BRAID_API int braid_symbol_output(braid_symbol sym, int32_t index, braid_symbol* out);
BRAID_API int braid_symbol_internals(braid_symbol sym, braid_symbol* out);
BRAID_API int braid_symbol_children(braid_symbol sym, braid_symbol* out);
/* The name of the node of a single-output symbol, and its op ("null" for a variable). */
BRAID_API int braid_symbol_name(braid_symbol sym, const char** name, const char** op_name);
/* Hidden or op attributes of the node of a single-output symbol (value NULL when absent). */
BRAID_API int braid_symbol_set_attr(braid_symbol sym, const char* key, const char* value);
BRAID_API int braid_symbol_get_attr(braid_symbol sym, const char* key, const char** value);
/* which: 0 arguments, 1 outputs, 2 auxiliary states, 3 inputs (every variable, the graph's input order). The
   list stays valid until the next braid_symbol_list call on this thread. */
BRAID_API int braid_symbol_list(braid_symbol sym, int32_t which, int32_t* num, const char*** names);
/* The JSON stays valid until the next braid_symbol_to_json call on this thread. */
BRAID_API int braid_symbol_to_json(braid_symbol sym, const char** json);
BRAID_API int braid_symbol_from_json(const char* json, braid_symbol* out);
/* Shape and dtype inference from the given inputs (by name; ndims[i] = -1: shape not given; dtypes NULL or -1:
   dtype not given; dims holds the given shapes back to back). Results are read with braid_symbol_inferred. */
BRAID_API int braid_symbol_infer(braid_symbol sym, int32_t num, const char* const* names, const int32_t* ndims,
                                 const int64_t* dims, const int32_t* dtypes, int32_t partial, int32_t* complete);
/* which: 0 inputs (list order 3), 1 outputs. ndim -1 / dtype -1: unknown. */
BRAID_API int braid_symbol_inferred(braid_symbol sym, int32_t which, int32_t index, int32_t* ndim, const int64_t** dims,
                                    int32_t* dtype);

/* A graph planned for execution (hybridize's cached op). Inputs are every variable, in list order 3. Runs
   recorded for autograd when recording is on. */
BRAID_API int braid_graph_create(braid_symbol sym, braid_graph* out);
BRAID_API int braid_graph_forward(braid_graph graph, int32_t num_inputs, const braid_array* inputs, int32_t max_outputs,
                                  int32_t* num_outputs, braid_array* outputs);
BRAID_API int braid_graph_free(braid_graph graph);

/* ---- Prediction: a model from symbol JSON + .params bytes, float32 in and out (for R, JS, C) ---- */
/* Parameters are looked up as arg:NAME / aux:NAME (MXNet's export) or NAME. The inputs named here are the
   data; dims holds their shapes back to back. */
BRAID_API int braid_predictor_create(const char* symbol_json, const void* params, size_t params_size, int32_t dev_type,
                                     int32_t dev_id, int32_t num_inputs, const char* const* input_names,
                                     const int32_t* ndims, const int64_t* dims, braid_predictor* out);
/* A predictor for new input shapes (a new batch size) sharing the parameters. */
BRAID_API int braid_predictor_reshape(braid_predictor pred, int32_t num_inputs, const char* const* input_names,
                                      const int32_t* ndims, const int64_t* dims, braid_predictor* out);
BRAID_API int braid_predictor_set_input(braid_predictor pred, const char* name, const float* data, size_t size);
BRAID_API int braid_predictor_forward(braid_predictor pred);
BRAID_API int braid_predictor_num_outputs(braid_predictor pred, int32_t* n);
BRAID_API int braid_predictor_output_shape(braid_predictor pred, int32_t index, int32_t* ndim, const int64_t** dims);
BRAID_API int braid_predictor_get_output(braid_predictor pred, int32_t index, float* data, size_t size);
BRAID_API int braid_predictor_free(braid_predictor pred);

/* Whether backward wrote arr's gradient since the flag was last cleared (0 when no gradient is attached); then,
   unless set_to is -1, sets the flag to set_to (0 or 1). Optimizers use it to detect stale gradients. */
BRAID_API int braid_array_grad_fresh(braid_array arr, int32_t set_to, int32_t* was_fresh);

/* ---- Random stream state (checkpoints) ---- */
/* The position of one device's stream: its key and its counter. Setting it back resumes the same numbers. */
BRAID_API int braid_random_get_state(int32_t dev_type, int32_t dev_id, uint64_t* key, uint64_t* counter);
BRAID_API int braid_random_set_state(int32_t dev_type, int32_t dev_id, uint64_t key, uint64_t counter);

/* BRAID_CDEF_END */

#ifdef __cplusplus
}
#endif

#endif /* BRAID_C_API_H_ */
