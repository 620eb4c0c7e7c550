# Loading the glue library and raising the core's errors as R conditions.

# The registered .Call routines of the glue (src/braid_r.c), by short name: .native$run is braid_r_run.
.native <- new.env(parent = emptyenv())

.onLoad <- function(libname, pkgname) {
  # braid's OpenMP kernels and its OpenBLAS GEMMs alternate, and both thread pools can keep spinning after
  # their work and take each other's cores (docs/architecture.md, "Threads"). As in the Python binding,
  # OpenBLAS's spin is shortened through OPENBLAS_THREAD_TIMEOUT, read when the library loads just below; a
  # user's own setting wins. libgomp's GOMP_SPINCOUNT cannot be set here: R links libgomp, which reads it
  # when R starts (see ?braid-package).
  if (!nzchar(Sys.getenv("OPENBLAS_THREAD_TIMEOUT"))) Sys.setenv(OPENBLAS_THREAD_TIMEOUT = "4")
  dll <- library.dynam("braid", pkgname, libname)
  routines <- getDLLRegisteredRoutines(dll)[[".Call"]]
  for (name in names(routines)) {
    assign(sub("^braid_r_", "", name), routines[[name]], envir = .native)
  }
}

.onUnload <- function(libpath) {
  library.dynam.unload("braid", libpath)
}

# The core's status codes (BRAID_ERR_* in c_api.h), in order from 1.
.error_kinds <- c("runtime", "value", "type", "index", "io", "not_implemented", "device", "memory")

# A condition of classes braid_<kind>_error, braid_error, error, condition.
.braid_condition <- function(kind, message, call = NULL) {
  structure(
    class = c(paste0("braid_", kind, "_error"), "braid_error", "error", "condition"),
    list(message = message, call = call)
  )
}

# Errors detected in R, with the same classes as the core's.
.braid_stop <- function(kind, ...) {
  stop(.braid_condition(kind, paste0(...), call = sys.call(-1L)))
}

# Called by the glue when a C ABI function fails: status is the BRAID_ERR_* code, message the core's text.
.braid_raise <- function(status, message, where) {
  kind <- if (status >= 1L && status <= length(.error_kinds)) .error_kinds[[status]] else "runtime"
  stop(.braid_condition(kind, paste0(where, ": ", message)))
}
