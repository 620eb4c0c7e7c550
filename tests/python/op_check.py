"""The one helper that checks braid ops against a numpy reference.

``check_op`` runs a braid function and a numpy function on the same inputs and compares the results with a
tolerance chosen by dtype. Inputs can be fed as non-contiguous views (``layout="strided"``) to exercise the
strided kernels, and every test module runs under both engines (``make test`` runs pytest once per engine).
The autograd issue extends this helper with finite-difference gradient checks in float64.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

import braid as mx

FLOAT_DTYPES = ["float32", "float64", "float16", "bfloat16"]
INT_DTYPES = ["uint8", "int8", "int32", "int64"]
ALL_DTYPES = FLOAT_DTYPES + INT_DTYPES + ["bool"]
# Shapes that cover the edge cases: scalar, empty, 1-D, 2-D, 3-D.
SHAPES = [(), (0,), (7,), (3, 4), (2, 3, 5)]

_TOL = {
    "float64": (1e-10, 1e-12),
    "float32": (1e-5, 1e-6),
    "float16": (2e-3, 2e-3),
    "bfloat16": (1.6e-2, 1.6e-2),
}


def tolerance(dtype: str) -> tuple[float, float]:
    """(rtol, atol) for comparing results computed in dtype."""
    return _TOL.get(dtype, (0.0, 0.0))


def np_dtype(dtype: str) -> Any:
    """The numpy dtype used for host data of a braid dtype (bfloat16 travels as float32)."""
    return np.float32 if dtype == "bfloat16" else np.dtype(dtype)


def random_array(
    shape: Sequence[int], dtype: str, rng: np.random.Generator, low: float = -3.0, high: float = 3.0
) -> np.ndarray:
    """Random host data exactly representable in dtype (so braid and numpy see the same values)."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        lo, hi = max(int(low), int(info.min)), min(int(high), int(info.max))
        return rng.integers(lo, hi + 1, size=shape).astype(dtype)
    x = rng.uniform(low, high, size=shape).astype(np.float32)
    if dtype == "bfloat16":
        return mx.nd.array(x, dtype="bfloat16").asnumpy()  # rounded to bfloat16 values
    return x.astype(dtype)


def to_braid(x: np.ndarray, dtype: str, layout: str = "contiguous", ctx: Any = None) -> mx.nd.NDArray:
    """A braid array with x's values; layout="strided" gives a non-contiguous view with the same values."""
    if layout == "contiguous" or x.ndim == 0:
        return mx.nd.array(x, dtype=dtype, ctx=ctx)
    # Interleave with junk along the last axis and take every second element: same values, stride 2.
    big = np.zeros(x.shape[:-1] + (2 * x.shape[-1],), dtype=x.dtype)
    big[..., ::2] = x
    view = mx.nd.array(big, dtype=dtype, ctx=ctx)[..., ::2]
    assert not view.is_contiguous() or x.shape[-1] <= 1
    return view


def check_op(
    braid_fn: Callable[..., Any],
    numpy_fn: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    dtype: str,
    layout: str = "contiguous",
    rtol: float | None = None,
    atol: float | None = None,
    out_dtype: str | None = None,
) -> None:
    """Asserts braid_fn(*inputs) matches numpy_fn(*inputs) in values, shape and dtype.

    numpy_fn receives the inputs as float64 for floating dtypes (the reference is computed more precisely
    than the op) and in their own dtype otherwise; its result is compared after casting to the op's output
    dtype. out_dtype overrides the expected output dtype (default: dtype).
    """
    arrays = [to_braid(x, dtype, layout) for x in inputs]
    got = braid_fn(*arrays)
    ref_in = [x.astype(np.float64) if dtype in FLOAT_DTYPES else x for x in inputs]
    want = np.asarray(numpy_fn(*ref_in))
    outs = got if isinstance(got, (list, tuple)) else [got]
    wants = want if isinstance(got, (list, tuple)) else [want]
    for g, w in zip(outs, wants):
        w = np.asarray(w)
        expect = out_dtype or dtype
        assert mx.dtypes.dtype_name(g._dtype_code()) == expect, (
            f"dtype: got {mx.dtypes.dtype_name(g._dtype_code())}, expected {expect}"
        )
        gv = g.asnumpy()
        assert gv.shape == w.shape, f"shape: got {gv.shape}, expected {w.shape}"
        r, a = tolerance(expect)
        r = rtol if rtol is not None else r
        a = atol if atol is not None else a
        if expect in FLOAT_DTYPES:
            wv = w.astype(np.float32 if expect == "bfloat16" else expect)
            np.testing.assert_allclose(gv.astype(np.float64), wv.astype(np.float64), rtol=r, atol=a, equal_nan=True)
        else:
            np.testing.assert_array_equal(gv, w.astype(expect))


def check_grad(
    braid_fn: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    grad_inputs: Sequence[int] | None = None,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    seed: int = 0,
    samples: int | None = None,
) -> None:
    """Asserts autograd's gradients of braid_fn match central finite differences, all in float64.

    The outputs are reduced to a scalar with a fixed random projection, so every output element's gradient is
    exercised. grad_inputs selects the inputs to differentiate (default: all). Keep inputs small: the numeric
    gradient costs two forward passes per element; `samples` checks that many random elements per input instead.
    """
    rng = np.random.default_rng(seed)
    xs = [np.array(x, dtype=np.float64) for x in inputs]
    which = list(range(len(xs))) if grad_inputs is None else list(grad_inputs)
    arrays = [mx.nd.array(x, dtype="float64") for x in xs]
    for i in which:
        arrays[i].attach_grad()
    with mx.autograd.record():
        out = braid_fn(*arrays)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    projections = [rng.standard_normal(o.shape) for o in outs]
    mx.autograd.backward(outs, [mx.nd.array(p, dtype="float64") for p in projections])
    analytic = [arrays[i].grad.asnumpy() for i in which]

    def objective(values: list[np.ndarray]) -> float:
        res = braid_fn(*[mx.nd.array(v, dtype="float64") for v in values])
        res = list(res) if isinstance(res, (list, tuple)) else [res]
        return float(sum((r.asnumpy() * p).sum() for r, p in zip(res, projections)))

    for k, i in enumerate(which):
        numeric = analytic[k].copy()  # elements not sampled compare equal to themselves
        flat = numeric.reshape(-1)
        picked = range(xs[i].size) if samples is None else rng.choice(xs[i].size, min(samples, xs[i].size), False)
        for j in picked:
            plus = [x.copy() for x in xs]
            minus = [x.copy() for x in xs]
            plus[i].reshape(-1)[j] += eps
            minus[i].reshape(-1)[j] -= eps
            flat[j] = (objective(plus) - objective(minus)) / (2 * eps)
        np.testing.assert_allclose(
            analytic[k], numeric, rtol=rtol, atol=atol, err_msg=f"gradient of input {i} differs from finite differences"
        )
