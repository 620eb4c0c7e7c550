// Shape manipulation: reshape, transpose, concat, stack, split, tile, repeat, flip, broadcast_to, ... with
// MXNet's names and attributes. Every result is a new contiguous array (views are the Python layer's business,
// through basic indexing and NDArray.reshape). Most kernels express the op as a strided view of the input or of
// the output and let copy_into do the (parallel, dtype-converting) copy.
#include <algorithm>

#include "ops/grad_util.h"
#include "ops/index_util.h"
#include "ops/invoke.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

const char* op_name(const OpAttrs& a) {
  return a.op()->name.c_str();
}

// Copies `in` into `out` element by element in row-major order, whatever their (equal-sized) shapes: the
// kernel of every op that only changes the shape.
void copy_reshaped(const Tensor& in, const Tensor& out) {
  if (out.is_contiguous()) {
    copy_into(in, out.reshape_view(in.shape()));
  } else {  // out= named a strided view
    Tensor tmp = Tensor::empty(in.shape(), out.dtype(), out.ctx());
    copy_into(in, tmp);
    copy_into(tmp.reshape_view(out.shape()), out);
  }
}

void reshape_kernel(const OpContext&, const OpAttrs&, const Tensors& in, const Tensors& out) {
  copy_reshaped(in[0], out[0]);
}

// Axes of a tuple attribute, normalised, each at most once.
std::vector<int> unique_axes(const OpAttrs& a, const std::vector<int64_t>& axes, int ndim, const char* arg) {
  std::vector<int> r;
  std::vector<bool> seen(ndim, false);
  for (int64_t ax : axes) {
    int n = normalize_axis(ax, ndim, op_name(a), arg);
    BRAID_CHECK(!seen[n], kValue, op_name(a), ": ", arg, " contains axis ", n, " more than once");
    seen[n] = true;
    r.push_back(n);
  }
  return r;
}

std::vector<int> transpose_axes(const OpAttrs& a, int ndim) {
  std::vector<int> axes;
  if (a.is_none("axes") || a.get_tuple("axes").empty()) {
    for (int i = ndim - 1; i >= 0; --i)
      axes.push_back(i);
    return axes;
  }
  const auto& t = a.get_tuple("axes");
  BRAID_CHECK(static_cast<int>(t.size()) == ndim, kValue, "transpose: axes=", shape_str(t), " has ", t.size(),
              " entries, expected one per dimension (", ndim, ")");
  return unique_axes(a, t, ndim, "axes");
}

void check_num_args(const OpAttrs& a, size_t n) {
  BRAID_CHECK(a.is_none("num_args") || a.get_int("num_args") == static_cast<int64_t>(n), kValue, op_name(a),
              ": num_args=", a.get_int("num_args"), " but ", n, " input array(s) were given");
}

DType promote_all(const Metas& in) {
  DType t = in[0].dtype;
  for (size_t i = 1; i < in.size(); ++i)
    t = promote_types(t, in[i].dtype);
  return t;
}

void infer_concat(const OpAttrs& a, const Metas& in, Metas* out) {
  check_num_args(a, in.size());
  const Shape& s0 = in[0].shape;
  BRAID_CHECK(!s0.empty(), kValue, "concat: zero-dimensional arrays cannot be concatenated");
  const int dim = normalize_axis(a.get_int("dim"), static_cast<int>(s0.size()), "concat", "dim");
  Shape s = s0;
  s[dim] = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const Shape& si = in[i].shape;
    bool ok = si.size() == s0.size();
    for (size_t d = 0; ok && d < si.size(); ++d)
      ok = static_cast<int>(d) == dim || si[d] == s0[d];
    BRAID_CHECK(ok, kValue, "concat: input ", i, " has shape ", shape_str(si), ", which does not match input 0's ",
                shape_str(s0), " outside dim ", dim);
    s[dim] += si[dim];
  }
  (*out)[0].shape = s;
  (*out)[0].dtype = promote_all(in);
}

void concat_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const int dim = normalize_axis(a.get_int("dim"), out[0].ndim(), "concat", "dim");
  int64_t off = 0;
  for (const Tensor& t : in) {
    copy_into(t, narrow(out[0], dim, off, t.dim(dim)));
    off += t.dim(dim);
  }
}

void infer_stack(const OpAttrs& a, const Metas& in, Metas* out) {
  check_num_args(a, in.size());
  const Shape& s0 = in[0].shape;
  const int axis = normalize_axis(a.get_int("axis"), static_cast<int>(s0.size()) + 1, "stack");
  for (size_t i = 1; i < in.size(); ++i) {
    BRAID_CHECK(in[i].shape == s0, kValue, "stack: all inputs must have the same shape; input ", i, " has ",
                shape_str(in[i].shape), ", input 0 has ", shape_str(s0));
  }
  Shape s = s0;
  s.insert(s.begin() + axis, static_cast<int64_t>(in.size()));
  (*out)[0].shape = s;
  (*out)[0].dtype = promote_all(in);
}

void stack_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const int axis = normalize_axis(a.get_int("axis"), out[0].ndim(), "stack");
  for (size_t i = 0; i < in.size(); ++i)
    copy_into(in[i], select(out[0], axis, static_cast<int64_t>(i)));
}

int split_count(const OpAttrs& a) {
  const int64_t n = a.get_int("num_outputs");
  BRAID_CHECK(n >= 1 && n <= (1 << 20), kValue, "split: num_outputs=", n, " must be at least 1");
  return static_cast<int>(n);
}

void infer_split(const OpAttrs& a, const Metas& in, Metas* out) {
  const Shape& s = in[0].shape;
  const int n = split_count(a);
  const int axis = normalize_axis(a.get_int("axis"), static_cast<int>(s.size()), "split");
  BRAID_CHECK(s[axis] % n == 0, kValue, "split: axis ", axis, " of size ", s[axis],
              " cannot be split evenly into num_outputs=", n, " parts (input shape ", shape_str(s), ")");
  Shape piece = s;
  piece[axis] = s[axis] / n;
  if (a.get_bool("squeeze_axis")) {
    BRAID_CHECK(piece[axis] == 1, kValue, "split: squeeze_axis=True needs parts of size 1 along axis ", axis,
                ", but axis ", axis, " of size ", s[axis], " split into ", n, " parts gives ", piece[axis]);
    piece.erase(piece.begin() + axis);
  }
  for (TensorMeta& m : *out)
    m = TensorMeta{piece, in[0].dtype};
}

void split_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const int axis = normalize_axis(a.get_int("axis"), in[0].ndim(), "split");
  const int64_t len = in[0].dim(axis) / static_cast<int64_t>(out.size());
  const bool squeeze = a.get_bool("squeeze_axis");
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t start = static_cast<int64_t>(i) * len;
    copy_into(squeeze ? select(in[0], axis, start) : narrow(in[0], axis, start, len), out[i]);
  }
}

// tile and repeat write through a 2k-dimensional view: each output axis of size d * r becomes a (d, r) or
// (r, d) pair of axes, so the input broadcasts along the copies with a zero stride.
void infer_tile(const OpAttrs& a, const Metas& in, Metas* out) {
  const auto& reps = a.get_tuple("reps");
  for (int64_t r : reps)
    BRAID_CHECK(r >= 0, kValue, "tile: reps=", shape_str(reps), " must not be negative");
  const Shape& s = in[0].shape;
  const size_t nd = std::max(s.size(), reps.size());
  Shape o(nd);
  for (size_t i = 0; i < nd; ++i) {
    int64_t d = i < nd - s.size() ? 1 : s[i - (nd - s.size())];
    int64_t r = i < nd - reps.size() ? 1 : reps[i - (nd - reps.size())];
    o[i] = d * r;
  }
  (*out)[0] = TensorMeta{o, in[0].dtype};
}

void tile_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const Tensor& x = in[0];
  const Tensor& y = out[0];
  const size_t nd = y.shape().size(), pad = nd - x.shape().size();
  Shape vs, xs, ys;
  for (size_t i = 0; i < nd; ++i) {
    const int64_t d = i < pad ? 1 : x.dim(static_cast<int>(i - pad));
    const int64_t xst = i < pad ? 0 : x.strides()[i - pad];
    const int64_t r = d ? y.dim(static_cast<int>(i)) / d : 0;
    vs.insert(vs.end(), {r, d});
    xs.insert(xs.end(), {0, xst});
    ys.insert(ys.end(), {d * y.strides()[i], y.strides()[i]});
  }
  if (y.numel() == 0)
    return;
  copy_into(x.view(vs, xs, x.impl()->offset), y.view(vs, ys, y.impl()->offset));
}

void infer_repeat(const OpAttrs& a, const Metas& in, Metas* out) {
  const int64_t rep = a.get_int("repeats");
  BRAID_CHECK(rep >= 0, kValue, "repeat: repeats=", rep, " must not be negative");
  Shape s = in[0].shape;
  if (a.is_none("axis")) {
    s = Shape{shape_numel(s) * rep};
  } else {
    s[normalize_axis(a.get_int("axis"), static_cast<int>(s.size()), "repeat")] *= rep;
  }
  (*out)[0] = TensorMeta{s, in[0].dtype};
}

void repeat_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const Tensor& y = out[0];
  if (y.numel() == 0)
    return;
  Tensor x = in[0];
  int axis = 0;
  if (a.is_none("axis")) {
    x = contiguous(x).reshape_view(Shape{x.numel()});
  } else {
    axis = normalize_axis(a.get_int("axis"), x.ndim(), "repeat");
  }
  const int64_t rep = a.get_int("repeats");
  Shape vs = x.shape(), xs = x.strides(), ys = y.strides();
  const int64_t y_stride = ys[axis];
  vs.insert(vs.begin() + axis + 1, rep);
  xs.insert(xs.begin() + axis + 1, 0);
  ys.insert(ys.begin() + axis + 1, y_stride);
  ys[axis] = y_stride * rep;
  copy_into(x.view(vs, xs, x.impl()->offset), y.view(vs, ys, y.impl()->offset));
}

void flip_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const Tensor& x = in[0];
  if (x.numel() == 0)
    return;
  std::vector<int> axes;
  if (a.is_none("axis")) {
    for (int i = 0; i < x.ndim(); ++i)
      axes.push_back(i);
  } else {
    axes = unique_axes(a, a.get_tuple("axis"), x.ndim(), "axis");
  }
  Shape st = x.strides();
  int64_t off = x.impl()->offset;
  for (int ax : axes) {
    off += (x.dim(ax) - 1) * st[ax];
    st[ax] = -st[ax];
  }
  copy_into(x.view(x.shape(), st, off), out[0]);
}

void infer_flip(const OpAttrs& a, const Metas& in, Metas* out) {
  if (!a.is_none("axis"))
    unique_axes(a, a.get_tuple("axis"), static_cast<int>(in[0].shape.size()), "axis");
  (*out)[0] = in[0];
}

// Output shape of broadcasting `from` to `to` (numpy alignment from the right); errors name op and shapes.
void check_broadcastable(const char* op, const Shape& from, const Shape& to) {
  bool ok = from.size() <= to.size();
  for (size_t i = 0; ok && i < from.size(); ++i) {
    const int64_t f = from[from.size() - 1 - i], t = to[to.size() - 1 - i];
    ok = f == t || f == 1;
  }
  BRAID_CHECK(ok, kValue, op, ": an array of shape ", shape_str(from), " cannot be broadcast to shape ", shape_str(to));
}

void copy_kernel(const OpContext&, const OpAttrs&, const Tensors& in, const Tensors& out) {
  copy_into(in[0], out[0]);
}

// Gradient rules: the inverse data movement of each op, in terms of registered ops.
void register_shape_grads(Registry& r) {
  using Tensors = std::vector<Tensor>;
  auto back_to_input_shape = [](const OpAttrs&, const Tensors& in, const Tensors&, const Tensors& og) {
    return Tensors{g::reshape(og[0], in[0].shape())};
  };
  for (const char* name : {"reshape", "expand_dims", "squeeze", "flatten"})
    r.def(name).set_grad(back_to_input_shape);
  r.def("reshape_like").set_grad([](const OpAttrs&, const Tensors& in, const Tensors&, const Tensors& og) {
    return Tensors{g::reshape(og[0], in[0].shape()), Tensor()};
  });
  r.def("transpose").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    const int nd = in[0].ndim();
    std::vector<int64_t> perm(nd), inverse(nd);
    for (int i = 0; i < nd; ++i)
      perm[i] = nd - 1 - i;
    if (!a.is_none("axes") && !a.get_tuple("axes").empty()) {
      for (int i = 0; i < nd; ++i)
        perm[i] = normalize_axis(a.get_tuple("axes")[i], nd, "transpose", "axes");
    }
    for (int i = 0; i < nd; ++i)
      inverse[perm[i]] = i;
    return Tensors{call("transpose", {og[0]}, {{"axes", inverse}})};
  });
  r.def("swapaxes").set_grad([](const OpAttrs& a, const Tensors&, const Tensors&, const Tensors& og) {
    return Tensors{call("swapaxes", {og[0]}, {{"dim1", a.get_int("dim1")}, {"dim2", a.get_int("dim2")}})};
  });
  r.def("flip").set_grad([](const OpAttrs& a, const Tensors&, const Tensors&, const Tensors& og) {
    if (a.is_none("axis"))
      return Tensors{call("flip", {og[0]}, {{"axis", nullptr}})};
    return Tensors{call("flip", {og[0]}, {{"axis", a.get_tuple("axis")}})};
  });
  r.def("broadcast_to").set_grad([](const OpAttrs&, const Tensors& in, const Tensors&, const Tensors& og) {
    return Tensors{sum_to_shape(og[0], in[0].shape())};
  });
  r.def("concat").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    const int axis = normalize_axis(a.get_int("dim"), in[0].ndim(), "concat", "dim");
    Tensors grads;
    int64_t begin = 0;
    for (const Tensor& t : in) {
      int64_t end = begin + t.dim(axis);
      grads.push_back(call("slice_axis", {og[0]}, {{"axis", int64_t(axis)}, {"begin", begin}, {"end", end}}));
      begin = end;
    }
    return grads;
  });
  r.def("stack").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    const int axis = normalize_axis(a.get_int("axis"), in[0].ndim() + 1, "stack", "axis");
    Tensors grads;
    for (size_t i = 0; i < in.size(); ++i) {
      Tensor part =
          call("slice_axis", {og[0]}, {{"axis", int64_t(axis)}, {"begin", int64_t(i)}, {"end", int64_t(i + 1)}});
      grads.push_back(g::reshape(part, in[i].shape()));
    }
    return grads;
  });
  // tile: out viewed as (r0, s0, r1, s1, ...) (data and reps padded to one rank); sum over the r axes.
  r.def("tile").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    Shape s = in[0].shape();
    std::vector<int64_t> reps = a.get_tuple("reps");
    const size_t n = std::max(s.size(), reps.size());
    s.insert(s.begin(), n - s.size(), 1);
    reps.insert(reps.begin(), n - reps.size(), 1);
    std::vector<int64_t> inter, rep_axes;
    for (size_t i = 0; i < n; ++i) {
      rep_axes.push_back(static_cast<int64_t>(inter.size()));
      inter.push_back(reps[i]);
      inter.push_back(s[i]);
    }
    Tensor r = call("reshape", {og[0]}, {{"shape", inter}});
    Tensor summed = call("sum", {r}, {{"axis", rep_axes}});
    return Tensors{g::reshape(summed, in[0].shape())};
  });
  // repeat: out viewed with a (size, repeats) pair for the repeated axis; sum over repeats.
  r.def("repeat").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    const int64_t k = a.get_int("repeats");
    std::vector<int64_t> split;
    int64_t sum_axis = 0;
    if (a.is_none("axis")) {
      split = {in[0].numel(), k};
      sum_axis = 1;
    } else {
      const int axis = normalize_axis(a.get_int("axis"), in[0].ndim(), "repeat", "axis");
      const Shape& s = in[0].shape();
      split.assign(s.begin(), s.end());
      split.insert(split.begin() + axis + 1, k);
      sum_axis = axis + 1;
    }
    Tensor r = call("reshape", {og[0]}, {{"shape", split}});
    Tensor summed = call("sum", {r}, {{"axis", std::vector<int64_t>{sum_axis}}});
    return Tensors{g::reshape(summed, in[0].shape())};
  });
  r.def("split").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors& out, const Tensors& og) {
    const int axis = normalize_axis(a.get_int("axis"), in[0].ndim(), "split", "axis");
    Tensors parts;
    for (size_t k = 0; k < og.size(); ++k) {
      Shape s = in[0].shape();
      s[axis] /= static_cast<int64_t>(og.size());
      parts.push_back(g::reshape(og[k], s));
    }
    const OpDef& concat = Registry::get().at("concat");
    OpAttrs ca = make_attrs(concat, {{"dim", int64_t(axis)}});
    return Tensors{invoke(concat, parts, ca, in[0].ctx())[0]};
  });
}

}  // namespace

void register_shape_ops(Registry& r) {
  r.add("reshape")
      .alias("Reshape")
      .describe(
          "Reshapes data to shape; the result is a copy. MXNet's special values: 0 copies the input dimension, -1 "
          "infers one dimension, -2 copies all remaining dimensions, -3 merges two consecutive dimensions, -4 "
          "splits one dimension into the two values that follow it (one may be -1).")
      .inputs({"data"})
      .attr_tuple_required("shape", "target shape, with MXNet's special values")
      .attr_bool("reverse", false, "match the special values from the right")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        (*out)[0] = TensorMeta{resolve_reshape(in[0].shape, a.get_tuple("shape"), a.get_bool("reverse"), "reshape"),
                               in[0].dtype};
      })
      .set_cpu(reshape_kernel);

  r.add("reshape_like")
      .describe("Reshapes lhs to the shape of rhs (same number of elements); the result is a copy.")
      .inputs({"lhs", "rhs"})
      .set_infer([](const OpAttrs&, const Metas& in, Metas* out) {
        BRAID_CHECK(shape_numel(in[0].shape) == shape_numel(in[1].shape), kValue, "reshape_like: lhs of shape ",
                    shape_str(in[0].shape), " and rhs of shape ", shape_str(in[1].shape),
                    " have different numbers of elements");
        (*out)[0] = TensorMeta{in[1].shape, in[0].dtype};
      })
      .set_cpu(reshape_kernel);

  r.add("transpose")
      .describe("Permutes the dimensions of data; axes=None (or ()) reverses them. The result is a copy.")
      .inputs({"data"})
      .attr_tuple_optional("axes", "the new order of the axes")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        const std::vector<int> axes = transpose_axes(a, static_cast<int>(in[0].shape.size()));
        Shape s;
        for (int ax : axes)
          s.push_back(in[0].shape[ax]);
        (*out)[0] = TensorMeta{s, in[0].dtype};
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        copy_into(in[0].transpose_view(transpose_axes(a, in[0].ndim())), out[0]);
      });

  r.add("swapaxes")
      .alias("SwapAxis")
      .describe("Interchanges two axes of data; the result is a copy.")
      .inputs({"data"})
      .attr_int("dim1", 0, "the first axis")
      .attr_int("dim2", 0, "the second axis")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        const int nd = static_cast<int>(in[0].shape.size());
        Shape s = in[0].shape;
        std::swap(s[normalize_axis(a.get_int("dim1"), nd, "swapaxes", "dim1")],
                  s[normalize_axis(a.get_int("dim2"), nd, "swapaxes", "dim2")]);
        (*out)[0] = TensorMeta{s, in[0].dtype};
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        std::vector<int> axes(in[0].ndim());
        for (int i = 0; i < in[0].ndim(); ++i)
          axes[i] = i;
        std::swap(axes[normalize_axis(a.get_int("dim1"), in[0].ndim(), "swapaxes", "dim1")],
                  axes[normalize_axis(a.get_int("dim2"), in[0].ndim(), "swapaxes", "dim2")]);
        copy_into(in[0].transpose_view(axes), out[0]);
      });

  r.add("expand_dims")
      .describe("Inserts a dimension of size 1 at axis (-ndim-1 <= axis <= ndim).")
      .inputs({"data"})
      .attr_int_required("axis", "position of the new axis in the result")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        Shape s = in[0].shape;
        s.insert(s.begin() + normalize_axis(a.get_int("axis"), static_cast<int>(s.size()) + 1, "expand_dims"), 1);
        (*out)[0] = TensorMeta{s, in[0].dtype};
      })
      .set_cpu(reshape_kernel);

  r.add("squeeze")
      .describe("Removes dimensions of size 1: those listed in axis, or all of them when axis is None.")
      .inputs({"data"})
      .attr_tuple_optional("axis", "the axes to remove (each must have size 1)")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        const Shape& s = in[0].shape;
        std::vector<bool> drop(s.size(), false);
        if (a.is_none("axis")) {
          for (size_t i = 0; i < s.size(); ++i)
            drop[i] = s[i] == 1;
        } else {
          for (int ax : unique_axes(a, a.get_tuple("axis"), static_cast<int>(s.size()), "axis")) {
            BRAID_CHECK(s[ax] == 1, kValue, "squeeze: axis ", ax, " has size ", s[ax],
                        "; only axes of size 1 can be removed (input shape ", shape_str(s), ")");
            drop[ax] = true;
          }
        }
        Shape o;
        for (size_t i = 0; i < s.size(); ++i) {
          if (!drop[i])
            o.push_back(s[i]);
        }
        (*out)[0] = TensorMeta{o, in[0].dtype};
      })
      .set_cpu(reshape_kernel);

  r.add("flatten")
      .alias("Flatten")
      .describe("Collapses data to 2-D: (d0, d1 * d2 * ... * dn), as MXNet's Flatten.")
      .inputs({"data"})
      .set_infer([](const OpAttrs&, const Metas& in, Metas* out) {
        const Shape& s = in[0].shape;
        BRAID_CHECK(!s.empty(), kValue, "flatten: expects an array with at least one dimension, got a scalar");
        int64_t rest = 1;
        for (size_t i = 1; i < s.size(); ++i)
          rest *= s[i];
        (*out)[0] = TensorMeta{Shape{s[0], rest}, in[0].dtype};
      })
      .set_cpu(reshape_kernel);

  r.add("concat")
      .alias("Concat")
      .describe("Joins arrays along an existing axis dim. Mixed dtypes promote as in arithmetic.")
      .variadic_inputs("data")
      .attr_int("dim", 1, "the axis to join along")
      .attr_int_optional("num_args", "number of inputs (checked when given)")
      .set_infer(infer_concat)
      .set_cpu(concat_kernel);

  r.add("stack")
      .describe("Joins arrays of the same shape along a new axis. Mixed dtypes promote as in arithmetic.")
      .variadic_inputs("data")
      .attr_int("axis", 0, "position of the new axis in the result")
      .attr_int_optional("num_args", "number of inputs (checked when given)")
      .set_infer(infer_stack)
      .set_cpu(stack_kernel);

  r.add("split")
      .alias("SliceChannel")
      .describe("Splits data into num_outputs equal parts along axis; returns a list when num_outputs > 1.")
      .inputs({"data"})
      .outputs_from(split_count)
      .attr_int_required("num_outputs", "number of parts (the axis size must be divisible by it)")
      .attr_int("axis", 1, "the axis to split")
      .attr_bool("squeeze_axis", false, "drop the split axis from the parts (they must have size 1 along it)")
      .set_infer(infer_split)
      .set_cpu(split_kernel);

  r.add("tile")
      .describe("Repeats the whole array reps times along each axis (numpy.tile).")
      .inputs({"data"})
      .attr_tuple_required("reps", "repetitions per axis; aligned from the right with data's shape")
      .set_infer(infer_tile)
      .set_cpu(tile_kernel);

  r.add("repeat")
      .describe("Repeats each element repeats times along axis; axis=None flattens first (numpy.repeat).")
      .inputs({"data"})
      .attr_int_required("repeats", "copies of each element")
      .attr_int_optional("axis", "the axis to repeat along (None: the flattened array)")
      .set_infer(infer_repeat)
      .set_cpu(repeat_kernel);

  r.add("flip")
      .alias("reverse")
      .describe("Reverses the order of elements along the given axes (all axes when axis is None).")
      .inputs({"data"})
      .attr_tuple_optional("axis", "the axes to reverse")
      .set_infer(infer_flip)
      .set_cpu(flip_kernel);

  r.add("broadcast_to")
      .describe("Broadcasts data to shape (numpy rules; a 0 in shape keeps the input's dimension, as in MXNet).")
      .inputs({"data"})
      .attr_tuple_required("shape", "target shape")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        const Shape& s = in[0].shape;
        Shape t = a.get_tuple("shape");
        BRAID_CHECK(t.size() >= s.size(), kValue, "broadcast_to: shape=", shape_str(t), " has fewer dimensions than ",
                    "the input's ", shape_str(s));
        for (size_t i = 0; i < t.size(); ++i) {
          const size_t lead = t.size() - s.size();
          if (t[i] == 0 && i >= lead)
            t[i] = s[i - lead];
          BRAID_CHECK(t[i] >= 0, kValue, "broadcast_to: shape=", shape_str(a.get_tuple("shape")),
                      " has a negative dimension");
        }
        check_broadcastable("broadcast_to", s, t);
        (*out)[0] = TensorMeta{t, in[0].dtype};
      })
      .set_cpu(copy_kernel);

  r.add("broadcast_like")
      .describe(
          "Broadcasts lhs to the shape of rhs; with lhs_axes and rhs_axes, only lhs's axes lhs_axes[i] take the "
          "size of rhs's axes rhs_axes[i].")
      .inputs({"lhs", "rhs"})
      .attr_tuple_optional("lhs_axes", "axes of lhs to broadcast")
      .attr_tuple_optional("rhs_axes", "axes of rhs whose sizes they take")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        const Shape &l = in[0].shape, &rs = in[1].shape;
        Shape t = rs;
        if (!a.is_none("lhs_axes") || !a.is_none("rhs_axes")) {
          BRAID_CHECK(!a.is_none("lhs_axes") && !a.is_none("rhs_axes") &&
                          a.get_tuple("lhs_axes").size() == a.get_tuple("rhs_axes").size(),
                      kValue, "broadcast_like: lhs_axes and rhs_axes must be given together, with equal lengths");
          t = l;
          const auto &la = a.get_tuple("lhs_axes"), &ra = a.get_tuple("rhs_axes");
          for (size_t i = 0; i < la.size(); ++i) {
            const int li = normalize_axis(la[i], static_cast<int>(l.size()), "broadcast_like", "lhs_axes");
            const int ri = normalize_axis(ra[i], static_cast<int>(rs.size()), "broadcast_like", "rhs_axes");
            BRAID_CHECK(l[li] == 1 || l[li] == rs[ri], kValue, "broadcast_like: lhs axis ", li, " of size ", l[li],
                        " cannot be broadcast to rhs axis ", ri, " of size ", rs[ri]);
            t[li] = rs[ri];
          }
        }
        check_broadcastable("broadcast_like", l, t);
        (*out)[0] = TensorMeta{t, in[0].dtype};
      })
      .set_cpu(copy_kernel);
  register_shape_grads(r);
}

}  // namespace braid
