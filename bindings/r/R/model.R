# Loading a model: braid_load() and print().

# The bytes of a model file, with braid_io_error conditions for missing or unreadable files.
.read_bytes <- function(path, what) {
  if (!is.character(path) || length(path) != 1L || is.na(path) || !nzchar(path)) {
    .braid_stop("value", "braid_load: the ", what, " file must be one path (a character string)")
  }
  if (!file.exists(path)) .braid_stop("io", "braid_load: no such ", what, " file: '", path, "'")
  if (dir.exists(path)) .braid_stop("io", "braid_load: the ", what, " path '", path, "' is a folder, not a file")
  size <- file.size(path)
  bytes <- tryCatch(
    {
      con <- file(path, "rb")
      on.exit(close(con))
      readBin(con, "raw", n = size)
    },
    error = function(e) .braid_stop("io", "braid_load: cannot read '", path, "': ", conditionMessage(e))
  )
  if (length(bytes) != size) .braid_stop("io", "braid_load: '", path, "' was cut short while reading")
  bytes
}

# "cpu", "cpu(1)", "gpu(0)" -> list(type = BRAID_CPU/BRAID_GPU, id, name).
.parse_ctx <- function(ctx) {
  if (!is.character(ctx) || length(ctx) != 1L || is.na(ctx)) {
    .braid_stop("value", "braid_load: ctx must be a string such as \"cpu\", \"cpu(0)\" or \"gpu(0)\"")
  }
  lower <- tolower(ctx)
  m <- regmatches(lower, regexec("^\\s*(cpu|gpu)\\s*(\\(\\s*([0-9]+)\\s*\\))?\\s*$", lower))[[1L]]
  if (length(m) == 0L) {
    .braid_stop("value", "braid_load: unknown ctx '", ctx, "' (expected \"cpu\", \"cpu(0)\", \"gpu(0)\" ...)")
  }
  id <- if (nzchar(m[[4L]])) as.numeric(m[[4L]]) else 0
  if (id > .Machine$integer.max) .braid_stop("value", "braid_load: device id out of range in ctx '", ctx, "'")
  type <- if (m[[2L]] == "cpu") 1L else 2L
  if (type == 2L) {
    n <- .Call(.native$device_count, type)
    if (id >= n) {
      .braid_stop(
        "device", "braid_load: ctx '", ctx, "' is not available: braid sees ", n, " GPU(s)",
        if (n == 0L) " (this build of braid has no CUDA support, or no GPU is present)" else ""
      )
    }
  }
  list(type = type, id = as.integer(id), name = sprintf("%s(%d)", m[[2L]], as.integer(id)))
}

# input_shapes of braid_load, checked: an unnamed list of double vectors, one per input in the order of inputs.
.check_shapes <- function(shapes, inputs) {
  if (!is.list(shapes) || is.null(names(shapes)) || any(!nzchar(names(shapes))) || anyDuplicated(names(shapes))) {
    .braid_stop(
      "value", "braid_load: input_shapes must be a list with one named shape per input, ",
      "e.g. list(data = c(1, 1, 28, 28))"
    )
  }
  unknown <- setdiff(names(shapes), inputs)
  if (length(unknown)) {
    .braid_stop(
      "value", "braid_load: input_shapes names '", unknown[[1L]], "', which is not an input of the model (inputs: ",
      paste(inputs, collapse = ", "), ")"
    )
  }
  absent <- setdiff(inputs, names(shapes))
  if (length(absent)) {
    .braid_stop(
      "value", "braid_load: input_shapes lacks the shape of input '", absent[[1L]], "' (inputs: ",
      paste(inputs, collapse = ", "), ")"
    )
  }
  lapply(inputs, function(name) {
    s <- shapes[[name]]
    if (!is.numeric(s) || length(s) == 0L || anyNA(s) || any(!is.finite(s)) || any(s < 0) || any(s != round(s)) ||
      any(s > 2^53)) {
      .braid_stop("value", "braid_load: the shape of input '", name, "' must be whole numbers >= 0, got ", deparse(s))
    }
    as.numeric(s)
  })
}

# Documented in man/braid_load.Rd.
braid_load <- function(prefix = NULL, epoch = 0, ctx = "cpu", symbol_file = NULL, params_file = NULL,
                       input_shapes = NULL) {
  if (!is.null(prefix)) {
    if (!is.null(symbol_file) || !is.null(params_file)) {
      .braid_stop("value", "braid_load: give either prefix or symbol_file and params_file, not both")
    }
    if (!is.character(prefix) || length(prefix) != 1L || is.na(prefix)) {
      .braid_stop("value", "braid_load: prefix must be one string")
    }
    if (!is.numeric(epoch) || length(epoch) != 1L || is.na(epoch) || epoch < 0 || epoch != round(epoch) ||
      epoch > 9999) {
      .braid_stop("value", "braid_load: epoch must be a whole number from 0 to 9999")
    }
    symbol_file <- paste0(prefix, "-symbol.json")
    params_file <- sprintf("%s-%04d.params", prefix, as.integer(epoch))
  } else if (is.null(symbol_file) || is.null(params_file)) {
    .braid_stop("value", "braid_load: give a prefix, or both symbol_file and params_file")
  }
  device <- .parse_ctx(ctx)
  json <- .read_bytes(symbol_file, "symbol")
  params <- .read_bytes(params_file, "params")
  info <- .Call(.native$inspect, json, params)
  param_names <- sub("^(arg|aux):", "", info[[3L]])
  model <- structure(
    list(
      symbol_file = symbol_file,
      params_file = params_file,
      ctx = device,
      inputs = setdiff(info[[1L]], param_names),
      outputs = info[[2L]],
      num_params = length(info[[4L]]),
      num_param_values = sum(info[[4L]]),
      symbol_json = json,
      params = params,
      state = new.env(parent = emptyenv())
    ),
    class = "braid_model"
  )
  model$state$entries <- list()
  if (length(model$inputs) == 0L) {
    .braid_stop("value", "braid_load: every variable of the graph is in the params file: the model has no data input")
  }
  if (!is.null(input_shapes)) {
    shapes <- .check_shapes(input_shapes, model$inputs)
    .predictor_for(model, model$inputs, shapes)
  }
  model
}

# (256, 1, 28, 28), as Python prints shapes.
.format_shape <- function(s) {
  paste0("(", paste(format(s, scientific = FALSE, trim = TRUE), collapse = ", "), if (length(s) == 1L) ",", ")")
}

# Documented in man/print.braid_model.Rd.
print.braid_model <- function(x, ...) {
  last <- x$state$last
  out_shapes <- NULL
  if (!is.null(last) && isTRUE(.Call(.native$handle_valid, last$ptr))) {
    out_shapes <- .Call(.native$output_shapes, last$ptr)
  }
  cat("braid model on ", x$ctx$name, "\n", sep = "")
  cat("  symbol: ", x$symbol_file, "\n  params: ", x$params_file, " (", x$num_params, " arrays, ",
    format(x$num_param_values, big.mark = ",", scientific = FALSE), " values)\n",
    sep = ""
  )
  width <- max(nchar(c(x$inputs, x$outputs)))
  cat("  inputs:\n")
  for (name in x$inputs) {
    shape <- "(shape set by predict())"
    if (!is.null(out_shapes)) shape <- .format_shape(last$shapes[[match(name, last$names)]])
    cat(sprintf("    %-*s  %s\n", width, name, shape))
  }
  cat("  outputs:\n")
  for (i in seq_along(x$outputs)) {
    shape <- if (!is.null(out_shapes)) .format_shape(out_shapes[[i]]) else ""
    cat(sub(" +$", "", sprintf("    %-*s  %s", width, x$outputs[[i]], shape)), "\n", sep = "")
  }
  invisible(x)
}
