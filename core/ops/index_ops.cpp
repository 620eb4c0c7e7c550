// Selection by position or condition: where, one_hot, take, pick, slice, slice_axis (MXNet semantics). The
// gathers behind advanced indexing (gather_nd, _scatter_set_nd) live in gather_ops.cpp.
//
// slice's begin/end/step are tuples that may hold None ("from the start", "to the end", "step 1"): the C ABI
// carries such an element as kTupleNone (INT64_MIN). Bounds follow Python's slices: out-of-range values clamp.
#include <cstring>

#include <type_traits>

#include "ops/grad_util.h"
#include "ops/index_util.h"
#include "ops/invoke.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

// Runs f on out, or on a contiguous temporary copied into out afterwards when out= named a strided view.
template <typename F>
void with_contiguous(const Tensor& out, F f) {
  if (out.is_contiguous()) {
    f(out);
    return;
  }
  Tensor tmp = Tensor::empty(out.shape(), out.dtype(), out.ctx());
  f(tmp);
  copy_into(tmp, out);
}

// ---- where ------------------------------------------------------------------------------------------------

void infer_where(const OpAttrs&, const Metas& in, Metas* out) {
  const Shape &c = in[0].shape, &x = in[1].shape, &y = in[2].shape;
  BRAID_CHECK(x == y, kValue, "where: x and y must have the same shape, got ", shape_str(x), " and ", shape_str(y));
  const bool rows = c.size() == 1 && !x.empty() && c[0] == x[0];
  BRAID_CHECK(c == x || rows, kValue, "where: condition must have the shape of x ", shape_str(x),
              (x.empty() ? "" : str_cat(" or be 1-D of length ", x[0])), ", got ", shape_str(c));
  (*out)[0] = TensorMeta{x, promote_types(in[1].dtype, in[2].dtype)};
}

void where_kernel(const OpContext&, const OpAttrs&, const Tensors& in, const Tensors& out) {
  const Tensor& o = out[0];
  if (o.numel() == 0)
    return;
  const DType t = o.dtype();
  Tensor c = contiguous_as(in[0], DType::kBool);  // nonzero (and NaN) is true
  if (c.ndim() == 1 && o.ndim() > 1) {
    // A 1-D condition picks whole rows: give it x's rank with zero strides on the trailing axes.
    Shape s(o.ndim(), 1), st(o.ndim(), 0);
    s[0] = c.dim(0);
    st[0] = 1;
    c = c.view(s, st, c.impl()->offset);
  }
  Tensor x = in[1].dtype() == t ? in[1] : contiguous_as(in[1], t);
  Tensor y = in[2].dtype() == t ? in[2] : contiguous_as(in[2], t);
  auto sc = broadcast_strides(c.shape(), c.strides(), o.shape());
  auto sx = broadcast_strides(x.shape(), x.strides(), o.shape());
  auto sy = broadcast_strides(y.shape(), y.strides(), o.shape());
  LoopPlan<4> plan = plan_loop<4>(o.shape(), {o.strides().data(), sc.data(), sx.data(), sy.data()});
  dispatch_dtype(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t es = static_cast<int64_t>(sizeof(T));
    run_loop<4>(plan,
                {static_cast<char*>(o.raw_data()), static_cast<char*>(c.raw_data()), static_cast<char*>(x.raw_data()),
                 static_cast<char*>(y.raw_data())},
                {es, 1, es, es}, [](int64_t n, const std::array<char*, 4>& p, const std::array<int64_t, 4>& st) {
                  T* po = reinterpret_cast<T*>(p[0]);
                  const bool* pc = reinterpret_cast<const bool*>(p[1]);
                  const T* px = reinterpret_cast<const T*>(p[2]);
                  const T* py = reinterpret_cast<const T*>(p[3]);
                  for (int64_t i = 0; i < n; ++i)
                    po[i * st[0]] = pc[i * st[1]] ? px[i * st[2]] : py[i * st[3]];
                });
  });
}

// ---- one_hot ----------------------------------------------------------------------------------------------

void one_hot_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const int64_t depth = a.get_int("depth");
  const std::vector<int64_t> pos = read_indices(in[0], depth, IndexMode::kIgnore, "one_hot", 0);
  const double on = a.get_float("on_value"), off = a.get_float("off_value");
  with_contiguous(out[0], [&](const Tensor& o) {
    dispatch_dtype(o.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T on_v = static_cast<T>(on), off_v = static_cast<T>(off);
      T* p = o.data<T>();
      const int64_t rows = static_cast<int64_t>(pos.size());
      parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(depth, 1)), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          T* row = p + i * depth;
          for (int64_t j = 0; j < depth; ++j)
            row[j] = off_v;
          if (pos[i] >= 0)
            row[pos[i]] = on_v;
        }
      });
    });
  });
}

// ---- take and pick ----------------------------------------------------------------------------------------

// Sizes of the axes before and after axis: the (outer, n, inner) view every gather along one axis uses.
void split_at(const Shape& s, int axis, int64_t* outer, int64_t* inner) {
  *outer = 1;
  *inner = 1;
  for (int i = 0; i < axis; ++i)
    *outer *= s[i];
  for (size_t i = axis + 1; i < s.size(); ++i)
    *inner *= s[i];
}

void infer_take(const OpAttrs& a, const Metas& in, Metas* out) {
  const Shape& s = in[0].shape;
  BRAID_CHECK(!s.empty(), kValue, "take: a must have at least one dimension, got a scalar");
  const int axis = normalize_axis(a.get_int("axis"), static_cast<int>(s.size()), "take");
  BRAID_CHECK(s[axis] > 0 || shape_numel(in[1].shape) == 0, kIndex, "take: cannot take from axis ", axis, " of size 0");
  Shape o(s.begin(), s.begin() + axis);
  o.insert(o.end(), in[1].shape.begin(), in[1].shape.end());
  o.insert(o.end(), s.begin() + axis + 1, s.end());
  (*out)[0] = TensorMeta{o, in[0].dtype};
}

void take_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const Tensor src = contiguous(in[0]);
  const int axis = normalize_axis(a.get_int("axis"), src.ndim(), "take");
  const int64_t n = src.dim(axis);
  const std::vector<int64_t> pos = read_indices(in[1], n, index_mode(a.get_str("mode")), "take", axis);
  if (out[0].numel() == 0)
    return;
  int64_t outer, inner;
  split_at(src.shape(), axis, &outer, &inner);
  const int64_t m = static_cast<int64_t>(pos.size());
  with_contiguous(out[0], [&](const Tensor& o) {
    dispatch_elem_size(dtype_size(src.dtype()), [&](auto tag) {
      using W = typename decltype(tag)::type;
      const W* x = static_cast<const W*>(src.raw_data());
      W* y = static_cast<W*>(o.raw_data());
      parallel_for(outer * m, std::max<int64_t>(1, kParallelGrain / inner), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          const W* s = x + ((r / m) * n + pos[r % m]) * inner;
          W* d = y + r * inner;
          for (int64_t k = 0; k < inner; ++k)
            d[k] = s[k];
        }
      });
    });
  });
}

// Gradient of take with respect to a: zeros of a's shape, each out_grad slice added at the position it was
// taken from (a position taken twice gets both). Within one outer block positions may repeat, so each block is
// accumulated in order by one thread.
void backward_take_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const Tensor dy = contiguous(in[0]);
  const Shape& xs = in[2].shape();
  const int axis = normalize_axis(a.get_int("axis"), static_cast<int>(xs.size()), "take");
  const int64_t n = xs[axis];
  const std::vector<int64_t> pos = read_indices(in[1], n, index_mode(a.get_str("mode")), "take", axis);
  int64_t outer, inner;
  split_at(xs, axis, &outer, &inner);
  const int64_t m = static_cast<int64_t>(pos.size());
  with_contiguous(out[0], [&](const Tensor& o) {
    dispatch_float(o.dtype(), "take (gradient)", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* g = dy.data<T>();
      T* y = o.data<T>();
      std::fill(y, y + o.numel(), T(0));
      parallel_for(outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, m * inner)),
                   [&](int64_t b, int64_t e) {
                     for (int64_t r = b; r < e; ++r) {
                       for (int64_t i = 0; i < m; ++i) {
                         T* d = y + (r * n + pos[i]) * inner;
                         const T* s = g + (r * m + i) * inner;
                         for (int64_t k = 0; k < inner; ++k)
                           if constexpr (std::is_floating_point<T>::value)
                             d[k] += s[k];
                           else  // float16 / bfloat16 storage types: add in float
                             d[k] = static_cast<T>(static_cast<float>(d[k]) + static_cast<float>(s[k]));
                       }
                     }
                   });
    });
  });
}

void infer_pick(const OpAttrs& a, const Metas& in, Metas* out) {
  const Shape& s = in[0].shape;
  BRAID_CHECK(!s.empty(), kValue, "pick: data must have at least one dimension, got a scalar");
  const int axis = normalize_axis(a.get_int("axis"), static_cast<int>(s.size()), "pick");
  Shape dropped = s, kept = s;
  dropped.erase(dropped.begin() + axis);
  kept[axis] = 1;
  BRAID_CHECK(in[1].shape == dropped || in[1].shape == kept, kValue, "pick: index must have shape ", shape_str(dropped),
              " (data's shape without axis ", axis, ") or ", shape_str(kept), ", got ", shape_str(in[1].shape));
  BRAID_CHECK(s[axis] > 0 || shape_numel(dropped) == 0, kIndex, "pick: cannot pick from axis ", axis, " of size 0");
  (*out)[0] = TensorMeta{a.get_bool("keepdims") ? kept : dropped, in[0].dtype};
}

void pick_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const Tensor src = contiguous(in[0]);
  const int axis = normalize_axis(a.get_int("axis"), src.ndim(), "pick");
  const int64_t n = src.dim(axis);
  const std::vector<int64_t> pos = read_indices(in[1], n, index_mode(a.get_str("mode")), "pick", axis);
  int64_t outer, inner;
  split_at(src.shape(), axis, &outer, &inner);
  with_contiguous(out[0], [&](const Tensor& o) {
    dispatch_elem_size(dtype_size(src.dtype()), [&](auto tag) {
      using W = typename decltype(tag)::type;
      const W* x = static_cast<const W*>(src.raw_data());
      W* y = static_cast<W*>(o.raw_data());
      parallel_for(outer * inner, kParallelGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          y[i] = x[((i / inner) * n + pos[i]) * inner + i % inner];
      });
    });
  });
}

// ---- slice and slice_axis ---------------------------------------------------------------------------------

struct AxisSlice {
  int64_t start = 0, step = 1, len = 0;
};

// Python's slice rules (PySlice_AdjustIndices): None takes the default for the step's direction, negative
// values count from the end, and out-of-range values clamp.
AxisSlice resolve_slice(int64_t n, int64_t begin, int64_t end, int64_t step, const char* op, int axis) {
  if (step == kTupleNone)
    step = 1;
  BRAID_CHECK(step != 0, kValue, op, ": step must not be 0 (axis ", axis, ")");
  const int64_t lower = step < 0 ? -1 : 0, upper = step < 0 ? n - 1 : n;
  auto adjust = [&](int64_t v, int64_t dflt) {
    if (v == kTupleNone)
      return dflt;
    if (v < 0) {
      v += n;
      return v < lower ? lower : v;
    }
    return v > upper ? upper : v;
  };
  AxisSlice r;
  r.step = step;
  r.start = adjust(begin, step < 0 ? upper : lower);
  const int64_t stop = adjust(end, step < 0 ? lower : upper);
  if (step > 0) {
    r.len = r.start < stop ? (stop - r.start - 1) / step + 1 : 0;
  } else {
    r.len = stop < r.start ? (r.start - stop - 1) / (-step) + 1 : 0;
  }
  return r;
}

std::vector<AxisSlice> slice_spec(const OpAttrs& a, const Shape& s) {
  const auto &b = a.get_tuple("begin"), &e = a.get_tuple("end"), &st = a.get_tuple("step");
  BRAID_CHECK(b.size() == e.size(), kValue, "slice: begin has ", b.size(), " entries but end has ", e.size());
  BRAID_CHECK(st.empty() || st.size() == b.size(), kValue, "slice: step has ", st.size(), " entries, expected 0 or ",
              b.size(), " (as many as begin)");
  BRAID_CHECK(b.size() <= s.size(), kValue, "slice: begin has ", b.size(), " entries but the input has only ", s.size(),
              " dimensions (shape ", shape_str(s), ")");
  std::vector<AxisSlice> r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i < b.size()) {
      r.push_back(resolve_slice(s[i], b[i], e[i], st.empty() ? 1 : st[i], "slice", static_cast<int>(i)));
    } else {
      r.push_back(AxisSlice{0, 1, s[i]});
    }
  }
  return r;
}

Tensor sliced_view(const Tensor& t, const std::vector<AxisSlice>& sl) {
  Shape s(sl.size()), st(sl.size());
  int64_t off = t.impl()->offset;
  bool empty = false;
  for (size_t i = 0; i < sl.size(); ++i) {
    s[i] = sl[i].len;
    st[i] = t.strides()[i] * sl[i].step;
    off += sl[i].start * t.strides()[i];
    empty = empty || sl[i].len == 0;
  }
  return t.view(s, st, empty ? t.impl()->offset : off);
}

Shape sliced_shape(const std::vector<AxisSlice>& sl) {
  Shape s;
  for (const AxisSlice& x : sl)
    s.push_back(x.len);
  return s;
}

std::vector<AxisSlice> slice_axis_spec(const OpAttrs& a, const Shape& s) {
  const int axis = normalize_axis(a.get_int("axis"), static_cast<int>(s.size()), "slice_axis");
  std::vector<AxisSlice> r;
  for (size_t i = 0; i < s.size(); ++i)
    r.push_back(AxisSlice{0, 1, s[i]});
  const int64_t end = a.is_none("end") ? kTupleNone : a.get_int("end");
  r[axis] = resolve_slice(s[axis], a.get_int("begin"), end, 1, "slice_axis", axis);
  return r;
}

// Gradient rules of the indexing ops, in terms of registered ops.
void register_index_grads(Registry& r) {
  auto copy_attrs = [](const OpDef& to, const OpAttrs& from) {
    OpAttrs a(&to);
    a.values() = from.values();  // the backward op declares the same attributes in the same order
    return a;
  };
  for (const char* name : {"slice", "slice_axis"}) {
    const std::string back = std::string("_") + name + "_backward";
    r.def(name).set_grad([back, copy_attrs](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
      const OpDef& op = Registry::get().at(back);
      return invoke(op, {og[0], in[0].detached()}, copy_attrs(op, a), og[0].ctx());
    });
  }
  r.def("where").set_grad([](const OpAttrs&, const Tensors& in, const Tensors&, const Tensors& og) {
    Tensor zero = g::zeros_like(og[0]);
    Tensor c = in[0].detached();
    return Tensors{Tensor(), call("where", {c, og[0], zero}), call("where", {c, zero, og[0]})};
  });
  r.def("one_hot").set_grad(
      [](const OpAttrs&, const Tensors& in, const Tensors&, const Tensors&) { return Tensors(in.size()); });
  r.def("pick").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    // d out / d data is one at the picked position: one_hot(index) along axis, times the gradient.
    const int nd = in[0].ndim();
    const int axis = normalize_axis(a.get_int("axis"), nd, "pick");
    Shape idx_shape = in[0].shape();
    idx_shape.erase(idx_shape.begin() + axis);
    Tensor idx = g::reshape(in[1].detached(), idx_shape);
    Tensor hot = call("one_hot", {idx}, {{"depth", in[0].dim(axis)}, {"dtype", in[0].dtype()}});  // axis last
    Tensor dy = g::reshape(og[0], idx_shape);
    Tensor grad_last = g::mul(hot, call("expand_dims", {dy}, {{"axis", int64_t(-1)}}));
    if (axis != nd - 1) {
      std::vector<int64_t> perm;
      for (int d = 0; d < nd - 1; ++d) {
        if (d == axis)
          perm.push_back(nd - 1);
        perm.push_back(d);
      }
      if (axis == nd - 1)
        perm.push_back(nd - 1);
      grad_last = call("transpose", {grad_last}, {{"axes", perm}});
    }
    return Tensors{grad_last, Tensor()};
  });
}

}  // namespace

void register_index_ops(Registry& r) {
  r.add("where")
      .describe(
          "Elements of x where condition is nonzero, else of y. condition has x's shape, or is 1-D with x's first "
          "dimension and then selects whole rows (MXNet's rule). x and y have the same shape; mixed dtypes promote.")
      .inputs({"condition", "x", "y"})
      .set_infer(infer_where)
      .set_cpu(where_kernel);

  r.add("one_hot")
      .describe(
          "One-hot encoding: an array of shape indices.shape + (depth,) holding on_value at each index and "
          "off_value elsewhere. Indices outside [0, depth) give rows of off_value.")
      .inputs({"indices"})
      .attr_int_required("depth", "size of the new last axis")
      .attr_float("on_value", 1.0, "value at the index")
      .attr_float("off_value", 0.0, "value elsewhere")
      .attr_dtype("dtype", DType::kFloat32, "output dtype")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        BRAID_CHECK(a.get_int("depth") >= 0, kValue, "one_hot: depth=", a.get_int("depth"), " must not be negative");
        Shape s = in[0].shape;
        s.push_back(a.get_int("depth"));
        (*out)[0] = TensorMeta{s, a.get_dtype("dtype")};
      })
      .set_cpu(one_hot_kernel);

  r.add("take")
      .describe(
          "Elements of a at the given indices along axis; the result has shape a.shape[:axis] + indices.shape + "
          "a.shape[axis+1:]. Indices may have any dtype (floats truncate). mode: 'clip' clamps to the valid range, "
          "'wrap' wraps around, 'raise' fails with an index error (raised when the result is next read).")
      .inputs({"a", "indices"})
      .attr_int("axis", 0, "the axis to take along")
      .attr_string("mode", "clip", {"clip", "wrap", "raise"}, "handling of out-of-range indices")
      .set_infer(infer_take)
      .set_cpu(take_kernel);

  r.add("_backward_take")
      .describe("Gradient of take with respect to a: out_grad slices summed at the positions they were taken from.")
      .inputs({"out_grad", "indices", "a"})
      .attr_int("axis", 0, "as given to take")
      .attr_string("mode", "clip", {"clip", "wrap", "raise"}, "as given to take")
      .set_infer([](const OpAttrs&, const Metas& in, Metas* out) { (*out)[0] = TensorMeta{in[2].shape, in[0].dtype}; })
      .set_cpu(backward_take_kernel);
  r.def("take").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    Tensor ga = call("_backward_take", {og[0], in[1].detached(), in[0].detached()},
                     {{"axis", a.get_int("axis")}, {"mode", a.get_str("mode").c_str()}});
    return Tensors{ga, Tensor()};
  });

  r.add("pick")
      .describe(
          "One element per position along axis: out[i..., k...] = data[i..., index[i..., k...], k...]. index has "
          "data's shape without axis (or with axis of size 1); mode: 'clip' or 'wrap' for out-of-range indices.")
      .inputs({"data", "index"})
      .attr_int("axis", -1, "the axis to pick along")
      .attr_bool("keepdims", false, "keep axis in the result with size 1")
      .attr_string("mode", "clip", {"clip", "wrap"}, "handling of out-of-range indices")
      .set_infer(infer_pick)
      .set_cpu(pick_kernel);

  r.add("slice")
      .alias("crop")
      .describe(
          "A copy of the region begin:end:step of data, one entry per leading axis (axes not covered are taken "
          "whole). Entries may be None; bounds follow Python slices (negative counts from the end, out-of-range "
          "clamps).")
      .inputs({"data"})
      .attr_tuple_required("begin", "start per axis (None: from the start)")
      .attr_tuple_required("end", "stop per axis, exclusive (None: to the end)")
      .attr_tuple("step", {}, "step per axis (None or omitted: 1)")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        (*out)[0] = TensorMeta{sliced_shape(slice_spec(a, in[0].shape)), in[0].dtype};
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        copy_into(sliced_view(in[0], slice_spec(a, in[0].shape())), out[0]);
      });

  r.add("slice_axis")
      .describe("A copy of data[..., begin:end, ...] along axis; end=None goes to the end. Python slice bounds.")
      .inputs({"data"})
      .attr_int_required("axis", "the axis to slice")
      .attr_int_required("begin", "start (negative counts from the end)")
      .attr_int_optional("end", "stop, exclusive (None: the end of the axis)")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        (*out)[0] = TensorMeta{sliced_shape(slice_axis_spec(a, in[0].shape)), in[0].dtype};
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        copy_into(sliced_view(in[0], slice_axis_spec(a, in[0].shape())), out[0]);
      });

  // Gradient helpers: a zero array shaped like `like` with the sliced region taken from `grad`.
  auto slice_backward = [](auto spec_of) {
    return [spec_of](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
      std::memset(out[0].raw_data(), 0, out[0].nbytes());
      copy_into(in[0], sliced_view(out[0], spec_of(a, out[0].shape())));
    };
  };
  auto infer_like_input1 = [](const OpAttrs&, const Metas& in, Metas* out) {
    (*out)[0] = TensorMeta{in[1].shape, in[0].dtype};
  };
  r.add("_slice_backward")
      .describe("Gradient of slice: zeros shaped like `like`, with grad written into the region begin:end:step.")
      .inputs({"grad", "like"})
      .attr_tuple_required("begin", "as in slice")
      .attr_tuple_required("end", "as in slice")
      .attr_tuple("step", {}, "as in slice")
      .set_infer(infer_like_input1)
      .set_cpu(slice_backward([](const OpAttrs& a, const Shape& s) { return slice_spec(a, s); }));
  r.add("_slice_axis_backward")
      .describe("Gradient of slice_axis: zeros shaped like `like`, with grad written into the sliced range.")
      .inputs({"grad", "like"})
      .attr_int_required("axis", "as in slice_axis")
      .attr_int_required("begin", "as in slice_axis")
      .attr_int_optional("end", "as in slice_axis")
      .set_infer(infer_like_input1)
      .set_cpu(slice_backward([](const OpAttrs& a, const Shape& s) { return slice_axis_spec(a, s); }));

  register_gather_ops(r);
  register_index_grads(r);
}

}  // namespace braid
