/*
 * The R package's glue: thin .Call wrappers over braid's prediction C ABI (capi/include/braid/c_api.h).
 *
 * Everything model-related happens in the core; this file only converts between R objects and the C ABI:
 *  - Arrays: R stores arrays column-major, the core row-major (C order). The package's convention is that
 *    dim(x) reads like the Python shape and x[i, j, ...] is the element Python calls x[i, j, ...], so data
 *    is copied with the axis order reversed in memory (converted to float32 on the way in, to double on
 *    the way out).
 *  - Errors: a non-zero status becomes an R condition (class braid_<kind>_error, braid_error, error) carrying
 *    braid_get_last_error()'s message, raised by the R function .braid_raise after every braid handle of
 *    the call is freed. Temporary buffers come from R_alloc, which R releases on error too.
 *  - Predictors live in external pointers whose finalizer frees them; a pointer restored from a saved
 *    session is NULL, and the R side recreates the predictor from the model's bytes.
 */
#include <R.h>
#include <R_ext/Rdynload.h>
#include <Rinternals.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "braid/c_api.h"

/* ---- Errors ---- */

/* Raises an R condition of the kind of a BRAID_ERR_* status with this message; never returns. */
static void raise_message(int status, const char* msg, const char* where) {
  SEXP text = PROTECT(Rf_mkString(msg && *msg ? msg : "unknown error (the core gave no message)"));
  SEXP kind = PROTECT(Rf_ScalarInteger(status));
  SEXP in = PROTECT(Rf_mkString(where));
  SEXP call = PROTECT(Rf_lang4(Rf_install(".braid_raise"), kind, text, in));
  SEXP ns = PROTECT(R_FindNamespace(Rf_mkString("braid")));
  Rf_eval(call, ns);
  UNPROTECT(5);
  Rf_error("%s: braid error %d", where, status); /* not reached: .braid_raise always stops */
}

/* Raises the last braid error as an R condition; never returns. */
static void raise_status(int status, const char* where) {
  raise_message(status, braid_get_last_error(), where);
}

/*
 * braid's engine keeps worker threads, started by the first prediction. A child process forked after that
 * (parallel::mclapply) has none of them, and its first prediction would wait for them forever; calls in such
 * a child fail with an error instead.
 */
static pid_t engine_pid = 0; /* the process that ran the first prediction; 0 before */

static void check_process(const char* where) {
  if (engine_pid != 0 && getpid() != engine_pid)
    raise_message(1,
                  "braid cannot run in a process forked after braid started its worker threads "
                  "(parallel::mclapply, mcparallel); use a socket cluster (parallel::makeCluster) and load "
                  "the model in each worker",
                  where);
}

#define CHECK(expr, where)          \
  do {                              \
    int status_ = (expr);           \
    if (status_ != 0)               \
      raise_status(status_, where); \
  } while (0)

/* ---- Small conversions ---- */

/* A NUL-terminated copy of a raw vector (the symbol JSON is passed as bytes; an embedded NUL simply ends it). */
static const char* raw_to_cstring(SEXP raw) {
  R_xlen_t n = XLENGTH(raw);
  char* s = R_alloc(n + 1, 1);
  if (n)
    memcpy(s, RAW(raw), n);
  s[n] = '\0';
  return s;
}

static braid_predictor predictor_of(SEXP ptr) {
  if (TYPEOF(ptr) != EXTPTRSXP)
    Rf_error("internal: expected a predictor handle");
  braid_predictor p = (braid_predictor)R_ExternalPtrAddr(ptr);
  if (!p)
    Rf_error("internal: the predictor handle is no longer valid");
  return p;
}

static void predictor_finalizer(SEXP ptr) {
  braid_predictor p = (braid_predictor)R_ExternalPtrAddr(ptr);
  if (p) {
    braid_predictor_free(p);
    R_ClearExternalPtr(ptr);
  }
}

static SEXP wrap_predictor(braid_predictor p) {
  SEXP ptr = PROTECT(R_MakeExternalPtr(p, Rf_install("braid_predictor"), R_NilValue));
  R_RegisterCFinalizerEx(ptr, predictor_finalizer, TRUE);
  UNPROTECT(1);
  return ptr;
}

/* Input names and shapes for the C ABI from a character vector and a list of numeric dims (already checked
   by the R side: whole numbers >= 0). */
typedef struct {
  int32_t n;
  const char** names;
  int32_t* ndims;
  int64_t* dims;
} shape_args;

static shape_args make_shape_args(SEXP names, SEXP shapes) {
  shape_args a;
  a.n = (int32_t)XLENGTH(names);
  if (XLENGTH(shapes) != a.n)
    Rf_error("internal: %d input names but %d shapes", (int)a.n, (int)XLENGTH(shapes));
  a.names = (const char**)R_alloc(a.n ? a.n : 1, sizeof(char*));
  a.ndims = (int32_t*)R_alloc(a.n ? a.n : 1, sizeof(int32_t));
  R_xlen_t total = 0;
  for (int32_t i = 0; i < a.n; ++i)
    total += XLENGTH(VECTOR_ELT(shapes, i));
  a.dims = (int64_t*)R_alloc(total ? total : 1, sizeof(int64_t));
  R_xlen_t k = 0;
  for (int32_t i = 0; i < a.n; ++i) {
    SEXP s = VECTOR_ELT(shapes, i);
    if (TYPEOF(s) != REALSXP)
      Rf_error("internal: shapes must be double vectors");
    a.names[i] = Rf_translateCharUTF8(STRING_ELT(names, i));
    a.ndims[i] = (int32_t)XLENGTH(s);
    for (R_xlen_t j = 0; j < XLENGTH(s); ++j)
      a.dims[k++] = (int64_t)REAL(s)[j];
  }
  return a;
}

/*
 * Layout: dims d[0..nd) are the same in both orders. The element with index (i0, ..., i_{nd-1}) sits at
 * i_{nd-1} + d[nd-1] * (i_{nd-2} + ...) in C order and at i0 + d0 * (i1 + d1 * (...)) in R's order. The copies
 * walk the C-order side sequentially, one row (last axis) at a time, and the R side with stride
 * prod(d[0..k)) along axis k; an odometer over the leading axes gives each row's start on the R side.
 */
typedef struct {
  int nd;
  int64_t d[64], stride[64], idx[64];
  int64_t total;      /* number of elements */
  int64_t row;        /* length of a row: d[nd - 1] */
  int64_t row_stride; /* R-side distance between neighbours in a row: stride[nd - 1] */
  int64_t r_off;      /* R-side offset of the current row's first element */
} rows_walk;

static void rows_init(rows_walk* w, const int64_t* d, int nd) {
  w->nd = nd > 0 ? nd : 1;
  w->total = 1;
  for (int k = 0; k < w->nd; ++k) {
    w->d[k] = nd > 0 ? d[k] : 1; /* a scalar is one row of one element */
    w->stride[k] = w->total;
    w->total *= w->d[k];
    w->idx[k] = 0;
  }
  w->row = w->d[w->nd - 1];
  w->row_stride = w->stride[w->nd - 1];
  w->r_off = 0;
}

static void rows_next(rows_walk* w) {
  for (int k = w->nd - 2; k >= 0; --k) {
    if (++w->idx[k] < w->d[k]) {
      w->r_off += w->stride[k];
      return;
    }
    w->idx[k] = 0;
    w->r_off -= w->stride[k] * (w->d[k] - 1);
  }
}

static void doubles_to_c_order(const double* src, float* dst, const int64_t* d, int nd) {
  rows_walk w;
  rows_init(&w, d, nd);
  if (w.total == 0 || w.row == 0)
    return;
  for (int64_t c = 0; c < w.total; c += w.row, rows_next(&w)) {
    const double* s = src + w.r_off;
    for (int64_t j = 0; j < w.row; ++j)
      dst[c + j] = (float)s[j * w.row_stride];
  }
}

/* Integers and logicals; NA becomes NaN. */
static void ints_to_c_order(const int* src, float* dst, const int64_t* d, int nd) {
  rows_walk w;
  rows_init(&w, d, nd);
  if (w.total == 0 || w.row == 0)
    return;
  for (int64_t c = 0; c < w.total; c += w.row, rows_next(&w)) {
    const int* s = src + w.r_off;
    for (int64_t j = 0; j < w.row; ++j) {
      int v = s[j * w.row_stride];
      dst[c + j] = v == NA_INTEGER ? (float)R_NaN : (float)v;
    }
  }
}

static void floats_from_c_order(const float* src, double* dst, const int64_t* d, int nd) {
  rows_walk w;
  rows_init(&w, d, nd);
  if (w.total == 0 || w.row == 0)
    return;
  for (int64_t c = 0; c < w.total; c += w.row, rows_next(&w)) {
    double* t = dst + w.r_off;
    for (int64_t j = 0; j < w.row; ++j)
      t[j * w.row_stride] = (double)src[c + j];
  }
}

/* ---- Entry points ---- */

/* c(major, minor, patch, abi) and the build features. */
static SEXP r_version(void) {
  int32_t v[4];
  const char* features = "";
  CHECK(braid_get_version(&v[0], &v[1], &v[2], &v[3]), "braid_version");
  CHECK(braid_get_features(&features), "braid_version");
  SEXP out = PROTECT(Rf_allocVector(VECSXP, 2));
  SEXP nums = Rf_allocVector(INTSXP, 4);
  SET_VECTOR_ELT(out, 0, nums);
  for (int i = 0; i < 4; ++i)
    INTEGER(nums)[i] = v[i];
  SET_VECTOR_ELT(out, 1, Rf_mkString(features ? features : ""));
  UNPROTECT(1);
  return out;
}

static SEXP r_device_count(SEXP dev_type) {
  int32_t n = 0;
  CHECK(braid_device_count(Rf_asInteger(dev_type), &n), "braid_load");
  return Rf_ScalarInteger(n);
}

static SEXP string_vector(int32_t n, const char** names) {
  SEXP out = PROTECT(Rf_allocVector(STRSXP, n));
  for (int32_t i = 0; i < n; ++i)
    SET_STRING_ELT(out, i, Rf_mkCharCE(names[i], CE_UTF8));
  UNPROTECT(1);
  return out;
}

/*
 * Reads a model without planning it: list(variables, outputs, param_names, param_sizes). The symbol JSON
 * and the params bytes are parsed by the core, so a corrupt file fails here with the core's message.
 */
static SEXP r_inspect(SEXP json, SEXP params) {
  check_process("braid_load");
  const char* js = raw_to_cstring(json);
  braid_symbol sym = NULL;
  CHECK(braid_symbol_from_json(js, &sym), "braid_load (symbol)");
  /* Each list stays valid until the next braid_symbol_list call: copy it at once. */
  int32_t nvars = 0, nouts = 0;
  const char** names = NULL;
  PROTECT_INDEX ivars, iouts;
  SEXP vars, outs;
  PROTECT_WITH_INDEX(vars = R_NilValue, &ivars);
  PROTECT_WITH_INDEX(outs = R_NilValue, &iouts);
  int status = braid_symbol_list(sym, 3, &nvars, &names);
  if (status == 0) {
    REPROTECT(vars = string_vector(nvars, names), ivars);
    status = braid_symbol_list(sym, 1, &nouts, &names);
  }
  if (status == 0)
    REPROTECT(outs = string_vector(nouts, names), iouts);
  braid_symbol_free(sym);
  if (status != 0)
    raise_status(status, "braid_load (symbol)");

  int32_t narr = 0, nnames = 0;
  braid_array* arrays = NULL;
  const char** pnames = NULL;
  CHECK(braid_ndarray_load_from_buffer(RAW(params), (size_t)XLENGTH(params), &narr, &arrays, &nnames, &pnames),
        "braid_load (params)");
  SEXP pn = PROTECT(Rf_allocVector(STRSXP, nnames));
  SEXP psize = PROTECT(Rf_allocVector(REALSXP, narr));
  status = 0;
  for (int32_t i = 0; i < narr; ++i) {
    if (i < nnames)
      SET_STRING_ELT(pn, i, Rf_mkCharCE(pnames[i], CE_UTF8));
    int32_t nd = 0;
    const int64_t* shape = NULL;
    double size = 1;
    if (status == 0)
      status = braid_array_get_shape(arrays[i], &nd, &shape);
    for (int32_t k = 0; status == 0 && k < nd; ++k)
      size *= (double)shape[k];
    REAL(psize)[i] = size;
  }
  for (int32_t i = 0; i < narr; ++i)
    braid_array_free(arrays[i]);
  braid_ndarray_list_free(arrays, pnames, nnames);
  if (status != 0)
    raise_status(status, "braid_load (params)");

  SEXP out = PROTECT(Rf_allocVector(VECSXP, 4));
  SET_VECTOR_ELT(out, 0, vars);
  SET_VECTOR_ELT(out, 1, outs);
  SET_VECTOR_ELT(out, 2, pn);
  SET_VECTOR_ELT(out, 3, psize);
  UNPROTECT(5);
  return out;
}

static SEXP r_create(SEXP json, SEXP params, SEXP dev_type, SEXP dev_id, SEXP names, SEXP shapes) {
  check_process("predict");
  const char* js = raw_to_cstring(json);
  shape_args a = make_shape_args(names, shapes);
  braid_predictor p = NULL;
  CHECK(braid_predictor_create(js, RAW(params), (size_t)XLENGTH(params), Rf_asInteger(dev_type), Rf_asInteger(dev_id),
                               a.n, a.names, a.ndims, a.dims, &p),
        "predict");
  return wrap_predictor(p);
}

static SEXP r_reshape(SEXP ptr, SEXP names, SEXP shapes) {
  check_process("predict");
  braid_predictor base = predictor_of(ptr);
  shape_args a = make_shape_args(names, shapes);
  braid_predictor p = NULL;
  CHECK(braid_predictor_reshape(base, a.n, a.names, a.ndims, a.dims, &p), "predict");
  return wrap_predictor(p);
}

static SEXP output_array(braid_predictor p, int32_t index) {
  int32_t nd = 0;
  const int64_t* shape = NULL;
  CHECK(braid_predictor_output_shape(p, index, &nd, &shape), "predict");
  int64_t d[64];
  if (nd > 64)
    Rf_error("predict: output %d has %d dimensions (at most 64 supported)", (int)index + 1, (int)nd);
  double total = 1;
  for (int32_t k = 0; k < nd; ++k) {
    d[k] = shape[k];
    total *= (double)shape[k];
  }
  if (total > (double)R_XLEN_T_MAX)
    Rf_error("predict: output %d is too large for an R vector", (int)index + 1);
  float* buf = (float*)R_alloc((size_t)total ? (size_t)total : 1, sizeof(float));
  CHECK(braid_predictor_get_output(p, index, buf, (size_t)total), "predict");
  SEXP out = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t)total));
  floats_from_c_order(buf, REAL(out), d, nd);
  if (nd >= 1) {
    SEXP dim = PROTECT(Rf_allocVector(nd >= 2 ? INTSXP : REALSXP, nd));
    for (int32_t k = 0; k < nd; ++k) {
      if (nd >= 2) {
        if (d[k] > INT32_MAX)
          Rf_error("predict: output %d has a dimension too large for R's dim()", (int)index + 1);
        INTEGER(dim)[k] = (int)d[k];
      }
    }
    if (nd >= 2)
      Rf_setAttrib(out, R_DimSymbol, dim);
    UNPROTECT(1);
  }
  UNPROTECT(1);
  return out;
}

/*
 * Sets each named input (numeric arrays whose dim() is the input's shape), runs the model and returns every
 * output as an R array with dim() in the core's order.
 */
static SEXP r_run(SEXP ptr, SEXP names, SEXP inputs) {
  check_process("predict");
  braid_predictor p = predictor_of(ptr);
  R_xlen_t n = XLENGTH(names);
  for (R_xlen_t i = 0; i < n; ++i) {
    SEXP x = VECTOR_ELT(inputs, i);
    const char* name = Rf_translateCharUTF8(STRING_ELT(names, i));
    SEXP dim = Rf_getAttrib(x, R_DimSymbol);
    int64_t d[64];
    int nd = 1;
    if (dim == R_NilValue) {
      d[0] = XLENGTH(x);
    } else {
      nd = (int)XLENGTH(dim);
      if (nd > 64)
        Rf_error("predict: input '%s' has %d dimensions (at most 64 supported)", name, nd);
      for (int k = 0; k < nd; ++k)
        d[k] = INTEGER(dim)[k];
    }
    R_xlen_t total = XLENGTH(x);
    float* buf = (float*)R_alloc(total ? total : 1, sizeof(float));
    if (TYPEOF(x) == REALSXP)
      doubles_to_c_order(REAL(x), buf, d, nd);
    else if (TYPEOF(x) == INTSXP || TYPEOF(x) == LGLSXP)
      ints_to_c_order(INTEGER(x), buf, d, nd);
    else
      Rf_error("predict: input '%s' must be numeric", name);
    CHECK(braid_predictor_set_input(p, name, buf, (size_t)total), "predict");
  }
  if (engine_pid == 0)
    engine_pid = getpid();
  CHECK(braid_predictor_forward(p), "predict");
  int32_t nout = 0;
  CHECK(braid_predictor_num_outputs(p, &nout), "predict");
  SEXP out = PROTECT(Rf_allocVector(VECSXP, nout));
  for (int32_t i = 0; i < nout; ++i)
    SET_VECTOR_ELT(out, i, output_array(p, i));
  UNPROTECT(1);
  return out;
}

/* The output shapes of a planned predictor, as a list of double vectors. */
static SEXP r_output_shapes(SEXP ptr) {
  braid_predictor p = predictor_of(ptr);
  int32_t nout = 0;
  CHECK(braid_predictor_num_outputs(p, &nout), "print");
  SEXP out = PROTECT(Rf_allocVector(VECSXP, nout));
  for (int32_t i = 0; i < nout; ++i) {
    int32_t nd = 0;
    const int64_t* shape = NULL;
    CHECK(braid_predictor_output_shape(p, i, &nd, &shape), "print");
    SEXP s = Rf_allocVector(REALSXP, nd);
    SET_VECTOR_ELT(out, i, s);
    for (int32_t k = 0; k < nd; ++k)
      REAL(s)[k] = (double)shape[k];
  }
  UNPROTECT(1);
  return out;
}

static SEXP r_handle_valid(SEXP ptr) {
  return Rf_ScalarLogical(TYPEOF(ptr) == EXTPTRSXP && R_ExternalPtrAddr(ptr) != NULL);
}

static const R_CallMethodDef call_methods[] = {{"braid_r_version", (DL_FUNC)&r_version, 0},
                                               {"braid_r_device_count", (DL_FUNC)&r_device_count, 1},
                                               {"braid_r_inspect", (DL_FUNC)&r_inspect, 2},
                                               {"braid_r_create", (DL_FUNC)&r_create, 6},
                                               {"braid_r_reshape", (DL_FUNC)&r_reshape, 3},
                                               {"braid_r_run", (DL_FUNC)&r_run, 3},
                                               {"braid_r_output_shapes", (DL_FUNC)&r_output_shapes, 1},
                                               {"braid_r_handle_valid", (DL_FUNC)&r_handle_valid, 1},
                                               {NULL, NULL, 0}};

void R_init_braid(DllInfo* dll) {
  R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
  R_useDynamicSymbols(dll, FALSE);
  R_forceSymbols(dll, TRUE);
}
