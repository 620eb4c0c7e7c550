"""Automatic differentiation (MXNet's ``autograd`` API), recorded in braid's core.

::

    x = mx.nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = (x * x).sum()
    y.backward()
    x.grad  # [2, 4, 6]

While recording, every op whose inputs need a gradient is recorded by the core; ``backward`` runs each op's
gradient rule (declared beside its forward in the registry) in reverse order and writes the leaves' ``grad``.
"""

from __future__ import annotations

from typing import Any, Sequence

from ._lib import check, ffi, lib

_GRAD_REQ = {"null": 0, "write": 1, "add": 2}


class _ModeScope:
    """Sets recording and/or training mode for a ``with`` block and restores them after."""

    def __init__(self, recording: bool | None, training: bool | None) -> None:
        self._rec, self._train = recording, training
        self._old_rec: int | None = None
        self._old_train: int | None = None

    def __enter__(self) -> _ModeScope:
        p = ffi.new("int32_t*")
        if self._rec is not None:
            check(lib.braid_autograd_set_recording(int(self._rec), p))
            self._old_rec = p[0]
        if self._train is not None:
            check(lib.braid_autograd_set_training(int(self._train), p))
            self._old_train = p[0]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._old_rec is not None:
            check(lib.braid_autograd_set_recording(self._old_rec, ffi.NULL))
        if self._old_train is not None:
            check(lib.braid_autograd_set_training(self._old_train, ffi.NULL))


def record(train_mode: bool = True) -> _ModeScope:
    """Records ops for differentiation inside the block (training mode by default)."""
    return _ModeScope(True, train_mode)


def pause(train_mode: bool = False) -> _ModeScope:
    """Stops recording inside the block (prediction mode by default)."""
    return _ModeScope(False, train_mode)


def train_mode() -> _ModeScope:
    """Training mode (Dropout active, BatchNorm on batch statistics) without changing recording."""
    return _ModeScope(None, True)


def predict_mode() -> _ModeScope:
    """Prediction mode without changing recording."""
    return _ModeScope(None, False)


def is_recording() -> bool:
    p = ffi.new("int32_t*")
    check(lib.braid_autograd_is_recording(p))
    return bool(p[0])


def is_training() -> bool:
    p = ffi.new("int32_t*")
    check(lib.braid_autograd_is_training(p))
    return bool(p[0])


def set_recording(is_recording: bool) -> bool:  # noqa: F811 - MXNet's name for the setter
    """Sets recording for this thread; returns the previous value."""
    p = ffi.new("int32_t*")
    check(lib.braid_autograd_set_recording(int(is_recording), p))
    return bool(p[0])


def set_training(train_mode: bool) -> bool:  # noqa: F811
    """Sets training mode for this thread; returns the previous value."""
    p = ffi.new("int32_t*")
    check(lib.braid_autograd_set_training(int(train_mode), p))
    return bool(p[0])


def _handles(arrays: Sequence[Any], allow_none: bool = False) -> Any:
    return ffi.new("braid_array[]", [ffi.NULL if (a is None and allow_none) else a._h for a in arrays])


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def backward(heads: Any, head_grads: Any = None, retain_graph: bool = False, train_mode: bool = True) -> None:
    """Backpropagates from heads (an NDArray or a list) into the gradient buffers of attached leaves.

    head_grads gives each head's gradient; a head without one is differentiated as if summed (MXNet's rule).
    retain_graph keeps the recorded graph for another backward.
    """
    hs = _as_list(heads)
    hg = ffi.NULL if head_grads is None else _handles(_as_list(head_grads), allow_none=True)
    try:
        check(lib.braid_autograd_backward(len(hs), _handles(hs), hg, int(retain_graph), 0, int(train_mode)))
    except BaseException as e:
        _raise_pending(e)


def grad(
    heads: Any,
    variables: Any,
    head_grads: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    train_mode: bool = True,
) -> Any:
    """Gradients of heads with respect to variables, returned as new arrays (leaves' ``grad`` untouched).

    With create_graph=True the gradients are themselves recorded, so they can be differentiated again.
    """
    from .ndarray._invoke import wrap

    hs = _as_list(heads)
    vs = _as_list(variables)
    if retain_graph is None:
        retain_graph = create_graph
    hg = ffi.NULL if head_grads is None else _handles(_as_list(head_grads), allow_none=True)
    out = ffi.new("braid_array[]", len(vs))
    check(
        lib.braid_autograd_grad(
            len(hs), _handles(hs), hg, len(vs), _handles(vs), int(retain_graph), int(create_graph), int(train_mode), out
        )
    )
    grads = [wrap(out[i]) for i in range(len(vs))]
    return grads if isinstance(variables, (list, tuple)) else grads[0]


def attach_grad(array: Any, grad_req: str = "write") -> None:
    """Marks array as a leaf whose gradient is kept in ``array.grad`` ('write', 'add', or 'null')."""
    if grad_req not in _GRAD_REQ:
        raise ValueError(f"attach_grad: grad_req must be one of {sorted(_GRAD_REQ)}, got {grad_req!r}")
    check(lib.braid_array_attach_grad(array._h, _GRAD_REQ[grad_req]))


def mark_variables(variables: Any, gradients: Any = None, grad_reqs: Any = "write") -> None:
    """Marks arrays as gradient leaves (MXNet API); gradient buffers are allocated by braid, so passing
    ``gradients`` only checks their shapes."""
    vs = _as_list(variables)
    reqs = _as_list(grad_reqs) if isinstance(grad_reqs, (list, tuple)) else [grad_reqs] * len(vs)
    if gradients is not None:
        for v, g in zip(vs, _as_list(gradients)):
            if g.shape != v.shape:
                raise ValueError(f"mark_variables: gradient shape {g.shape} differs from variable shape {v.shape}")
    for v, r in zip(vs, reqs):
        attach_grad(v, r)


# ---- user-defined functions ----------------------------------------------------------------------------------
_functions: dict[int, Function] = {}  # recorded Function instances, by the key handed to the core
_next_key = [1]
_pending_error = __import__("threading").local()


@ffi.callback("int(void*, int32_t, braid_array*, int32_t, braid_array*)")
def _backward_callback(state: Any, n_out: int, out_grads: Any, n_in: int, in_grads: Any) -> int:
    from .ndarray._invoke import wrap

    try:
        fn = _functions[int(ffi.cast("intptr_t", state))]
        grads = fn.backward(*[wrap(out_grads[i]) for i in range(n_out)])
        grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
        if len(grads) != n_in:
            raise ValueError(f"{type(fn).__name__}.backward returned {len(grads)} gradients for {n_in} inputs")
        for i, g in enumerate(grads):
            if g is not None:
                h = ffi.new("braid_array*")
                check(lib.braid_array_detach(g._h, h))  # a handle the core owns from now on
                in_grads[i] = h[0]
        return 0
    except BaseException as e:  # noqa: BLE001 - re-raised in the Python thread that called backward
        _pending_error.value = e
        return 1


@ffi.callback("void(void*)")
def _release_callback(state: Any) -> None:
    functions = _functions
    if functions is not None:  # None while the interpreter tears the module down at exit
        functions.pop(int(ffi.cast("intptr_t", state)), None)


def _raise_pending(err: BaseException) -> None:
    pending = getattr(_pending_error, "value", None)
    if pending is not None:
        _pending_error.value = None
        raise pending from err
    raise err


class Function:
    """A differentiable function with a hand-written gradient (MXNet's ``autograd.Function``).

    Subclass it, implement ``forward(*inputs)`` and ``backward(*output_grads)`` with NDArray operations, and
    call an instance on arrays. ``save_for_backward`` keeps values for the backward pass::

        class Sigmoid(mx.autograd.Function):
            def forward(self, x):
                y = 1 / (1 + mx.nd.exp(-x))
                self.save_for_backward(y)
                return y

            def backward(self, dy):
                (y,) = self.saved_tensors
                return dy * y * (1 - y)

    Gradients of a Function are first order (its backward is not itself recorded).
    """

    def __init__(self) -> None:
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *args: Any) -> None:
        self.saved_tensors = args

    def forward(self, *inputs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, *output_grads: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def __call__(self, *inputs: Any) -> Any:
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        if is_recording():
            key = _next_key[0]
            _next_key[0] += 1
            _functions[key] = self
            check(
                lib.braid_autograd_record_custom(
                    len(inputs),
                    _handles(inputs),
                    len(outs),
                    _handles(outs),
                    _backward_callback,
                    _release_callback,
                    ffi.cast("void*", key),
                )
            )
        return outputs
