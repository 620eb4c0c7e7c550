# Prediction: predict() on a braid_model.

# How many planned predictors (one per distinct set of input shapes) a model keeps.
.max_cached_predictors <- 8L

.valid_handle <- function(ptr) !is.null(ptr) && isTRUE(.Call(.native$handle_valid, ptr))

# The predictor planned for these input shapes: from the model's cache, else reshaped from the first one
# (sharing its parameters), else created from the model's bytes (the first call, or after readRDS).
.predictor_for <- function(model, names, shapes) {
  state <- model$state
  key <- paste0(names, ":", vapply(shapes, paste, "", collapse = "x"), collapse = ";")
  entry <- state$entries[[key]]
  if (is.null(entry) || !.valid_handle(entry)) {
    if (!.valid_handle(state$base)) {
      state$entries <- list()
      entry <- .Call(
        .native$create, model$symbol_json, model$params, model$ctx$type, model$ctx$id, names, shapes
      )
      state$base <- entry
    } else {
      entry <- .Call(.native$reshape, state$base, names, shapes)
    }
    if (length(state$entries) >= .max_cached_predictors) state$entries[[1L]] <- NULL
    state$entries[[key]] <- entry
  }
  state$last <- list(names = names, shapes = shapes, ptr = entry)
  entry
}

# The inputs of a predict() call as a list in the order of model$inputs, checked.
.collect_inputs <- function(model, x, dots) {
  if (length(dots) && (is.null(names(dots)) || any(!nzchar(names(dots))))) {
    .braid_stop("value", "predict: extra arguments must be inputs given by name, e.g. predict(model, a = xa, b = xb)")
  }
  if (missing(x) || is.null(x)) {
    if (!length(dots)) {
      .braid_stop("value", "predict: no input given (the model's inputs: ", paste(model$inputs, collapse = ", "), ")")
    }
    inputs <- dots
  } else if (is.data.frame(x)) {
    .braid_stop("type", "predict: x is a data frame; pass a numeric matrix or array (as.matrix(x))")
  } else if (is.list(x)) {
    if (length(dots)) .braid_stop("value", "predict: give the inputs either as a list or as named arguments, not both")
    inputs <- x
    if (length(inputs) && (is.null(names(inputs)) || any(!nzchar(names(inputs))))) {
      .braid_stop(
        "value", "predict: a list of inputs must name every element (the model's inputs: ",
        paste(model$inputs, collapse = ", "), ")"
      )
    }
  } else {
    if (length(dots)) .braid_stop("value", "predict: give the inputs either as x or as named arguments, not both")
    if (length(model$inputs) != 1L) {
      .braid_stop(
        "value", "predict: this model has ", length(model$inputs), " inputs (", paste(model$inputs, collapse = ", "),
        "): pass a named list, e.g. predict(model, list(", model$inputs[[1L]], " = ...))"
      )
    }
    inputs <- list(x)
    names(inputs) <- model$inputs
  }
  twice <- anyDuplicated(names(inputs))
  if (twice) .braid_stop("value", "predict: input '", names(inputs)[[twice]], "' is given twice")
  unknown <- setdiff(names(inputs), model$inputs)
  if (length(unknown)) {
    .braid_stop(
      "value", "predict: '", unknown[[1L]], "' is not an input of the model (its inputs: ",
      paste(model$inputs, collapse = ", "), ")"
    )
  }
  missing_inputs <- setdiff(model$inputs, names(inputs))
  if (length(missing_inputs)) {
    .braid_stop(
      "value", "predict: input '", missing_inputs[[1L]], "' is missing (the model's inputs, the graph's variables ",
      "that the params file does not hold: ", paste(model$inputs, collapse = ", "), ")"
    )
  }
  for (name in names(inputs)) {
    v <- inputs[[name]]
    if (!(is.numeric(v) || is.logical(v))) {
      .braid_stop("type", "predict: input '", name, "' must be a numeric array, matrix or vector, got ", class(v)[[1L]])
    }
  }
  inputs[model$inputs]
}

# Documented in man/predict.braid_model.Rd (the order of dimensions is explained there).
predict.braid_model <- function(object, x, ..., simplify = TRUE) {
  inputs <- .collect_inputs(object, if (missing(x)) NULL else x, list(...))
  names <- names(inputs)
  shapes <- lapply(inputs, function(v) as.numeric(if (is.null(dim(v))) length(v) else dim(v)))
  names(shapes) <- NULL
  names(inputs) <- NULL
  ptr <- .predictor_for(object, names, shapes)
  outputs <- .Call(.native$run, ptr, names, inputs)
  names(outputs) <- object$outputs
  if (simplify && length(outputs) == 1L) outputs[[1L]] else outputs
}
