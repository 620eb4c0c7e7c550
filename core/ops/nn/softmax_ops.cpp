// softmax and log_softmax along an axis (with temperature and MXNet's use_length masking), SoftmaxOutput
// (softmax forward; its backward is softmax - onehot(label), ignoring the incoming gradient, as in MXNet) and
// softmax_cross_entropy. Every kernel views the data as (outer, n, inner) with n the softmax axis.
#include <cmath>
#include <limits>

#include "ops/invoke.h"
#include "ops/nn/nn_basic.h"
#include "ops/op_call.h"

namespace braid {

namespace {

using nn::Metas;
using nn::Tensors;

struct Rows {
  int64_t outer = 1, n = 1, inner = 1;
};

Rows rows_of(const Shape& s, int axis) {
  Rows r;
  for (int d = 0; d < static_cast<int>(s.size()); ++d) {
    if (d < axis)
      r.outer *= s[d];
    else if (d == axis)
      r.n = s[d];
    else
      r.inner *= s[d];
  }
  return r;
}

// y = softmax(x / temp) (or its log) along n for every (outer, inner) line; len[line], when given, masks
// positions >= len to 0 (softmax) and leaves only the first len entries in the normaliser.
template <typename C>
void softmax_lines(const C* x, C* y, const Rows& r, C temp, bool log, const int64_t* len) {
  const int64_t lines = r.outer * r.inner;
  parallel_for(lines, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(r.n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t l = b; l < e; ++l) {
      const int64_t o = l / r.inner, i = l % r.inner;
      const C* px = x + o * r.n * r.inner + i;
      C* py = y + o * r.n * r.inner + i;
      const int64_t m = len ? std::min<int64_t>(std::max<int64_t>(len[l], 0), r.n) : r.n;
      C mx = -std::numeric_limits<C>::infinity();
      for (int64_t j = 0; j < m; ++j)
        mx = std::max(mx, px[j * r.inner] / temp);
      C sum = 0;
      for (int64_t j = 0; j < m; ++j)
        sum += std::exp(px[j * r.inner] / temp - mx);
      if (log) {
        const C lse = mx + std::log(sum);
        for (int64_t j = 0; j < m; ++j)
          py[j * r.inner] = px[j * r.inner] / temp - lse;
      } else {
        const C inv = C(1) / sum;
        for (int64_t j = 0; j < m; ++j)
          py[j * r.inner] = std::exp(px[j * r.inner] / temp - mx) * inv;
      }
      for (int64_t j = m; j < r.n; ++j)
        py[j * r.inner] = 0;
    }
  });
}

// softmax of x along axis into out (any layout and dtype); len is an int64 contiguous array or undefined.
void run_softmax(const char* op, const Tensor& x, const Tensor& out, int axis, double temp, bool log,
                 const Tensor& len) {
  const Rows r = rows_of(x.shape(), axis);
  const DType ct = nn::compute_dtype(x.dtype());
  nn::dispatch_compute(x.dtype(), op, [&](auto tag) {
    using C = typename decltype(tag)::type;
    Tensor xc = contiguous_as(x, ct), y = nn::out_buffer(out, ct);
    softmax_lines<C>(xc.data<C>(), y.data<C>(), r, static_cast<C>(temp), log,
                     len.defined() ? len.data<int64_t>() : nullptr);
    nn::finish_out(y, out);
  });
}

double temperature_of(const OpAttrs& a) {
  return a.is_none("temperature") ? 1.0 : a.get_float("temperature");
}

void softmax_infer(const OpAttrs& a, const Metas& in, Metas* out) {
  const std::string& op = a.op()->name;
  nn::check_float_input(op, "data", in[0].dtype);
  const int nd = static_cast<int>(in[0].shape.size());
  BRAID_CHECK(nd >= 1, kValue, op, ": input 'data' must have at least 1 dimension, got a scalar");
  const int axis = nn::normalize_axis(op, a.get_int("axis"), nd);
  BRAID_CHECK(temperature_of(a) != 0.0, kValue, op, ": temperature must be nonzero");
  if (a.get_bool("use_length")) {
    BRAID_CHECK(in.size() == 2, kValue, op, ": use_length=True needs the input 'length'");
    Shape want = in[0].shape;
    want.erase(want.begin() + axis);
    BRAID_CHECK(in[1].shape == want, kValue, op, ": input 'length' has shape ", shape_str(in[1].shape),
                ", expected data's shape without the softmax axis, ", shape_str(want));
  }
  (*out)[0].shape = in[0].shape;
  (*out)[0].dtype = a.is_none("dtype") ? in[0].dtype : a.get_dtype("dtype");
  BRAID_CHECK(dtype_is_float((*out)[0].dtype), kType, op, ": dtype must be a floating-point type, got ",
              dtype_name((*out)[0].dtype));
}

void softmax_kernel(const OpAttrs& a, const Tensors& in, const Tensors& out, bool log) {
  const int axis = nn::normalize_axis(a.op()->name, a.get_int("axis"), in[0].ndim());
  Tensor len;
  if (a.get_bool("use_length"))
    len = contiguous_as(in[1], DType::kInt64);
  run_softmax(a.op()->name.c_str(), in[0], out[0], axis, temperature_of(a), log, len);
}

// softmax: dx = y * (g - sum(g * y, axis)) / T; log_softmax: dx = (g - exp(y) * sum(g, axis)) / T. Masked
// positions (use_length) have y = 0 in softmax, so they get no gradient; log_softmax masks them explicitly.
Tensors softmax_grad(const OpAttrs& a, const Tensors& in, const Tensors& out, const Tensors& og, bool log) {
  const int64_t axis = nn::normalize_axis(a.op()->name, a.get_int("axis"), in[0].ndim());
  const std::vector<int64_t> ax{axis};
  Tensor y = out[0], g = og[0];
  Tensor dx;
  if (log) {
    Tensor p = call("exp", {y});
    if (a.get_bool("use_length")) {
      // Positions past a line's length output a constant 0: they take no gradient and are outside the
      // normalisation, so both g and exp(y) (which is 1 there) are masked.
      const int64_t n = in[0].shape()[axis];
      Shape along(in[0].ndim(), 1);
      along[axis] = n;
      Tensor pos =
          call("arange", {}, {{"start", 0.0}, {"stop", static_cast<double>(n)}, {"dtype", DType::kInt64}}, in[0].ctx());
      pos = call("reshape", {pos}, {{"shape", along}});
      Tensor len = call("expand_dims", {call("cast", {in[1]}, {{"dtype", DType::kInt64}})}, {{"axis", axis}});
      Tensor mask = call("cast", {call("broadcast_lesser", {pos, len})}, {{"dtype", g.dtype()}});
      g = call("broadcast_mul", {g, mask});
      p = call("broadcast_mul", {p, call("cast", {mask}, {{"dtype", p.dtype()}})});
    }
    Tensor s = call("sum", {g}, {{"axis", ax}, {"keepdims", true}});
    dx = call("broadcast_sub", {g, call("broadcast_mul", {p, s})});
  } else {
    Tensor s = call("sum", {call("elemwise_mul", {g, y})}, {{"axis", ax}, {"keepdims", true}});
    dx = call("elemwise_mul", {y, call("broadcast_sub", {g, s})});
  }
  const double t = temperature_of(a);
  if (t != 1.0)
    dx = call("_mul_scalar", {dx}, {{"scalar", 1.0 / t}});
  if (dx.dtype() != in[0].dtype())
    dx = call("cast", {dx}, {{"dtype", in[0].dtype()}});
  Tensors grads{dx};
  if (in.size() == 2)
    grads.push_back(Tensor());
  return grads;
}

OpDef& softmax_like(Registry& r, const char* name, const char* doc, bool log) {
  return r.add(name)
      .describe(doc)
      .inputs({"data", "length"})
      .optional_inputs(1)
      .attr_int("axis", -1, "the axis to normalise along")
      .attr_float_optional("temperature", "divides data before the exponential (None: 1)")
      .attr_bool("use_length", false, "mask each line beyond the count given by the input 'length'")
      .attr_dtype_optional("dtype", "output dtype (None: data's dtype)")
      .set_infer(softmax_infer)
      .set_cpu([log](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        softmax_kernel(a, in, out, log);
      })
      .set_grad([log](const OpAttrs& a, const Tensors& in, const Tensors& out, const Tensors& og) {
        return softmax_grad(a, in, out, og, log);
      });
}

// SoftmaxOutput's softmax axis and line count: multi_output normalises axis 1 (labels (N, d...)),
// preserve_shape the last axis, and otherwise data is read as (N, prod(other axes)).
Rows softmax_output_rows(const OpAttrs& a, const Shape& s) {
  if (a.get_bool("multi_output"))
    return rows_of(s, 1);
  if (a.get_bool("preserve_shape"))
    return rows_of(s, static_cast<int>(s.size()) - 1);
  Rows r;
  r.outer = s[0];
  r.n = s[0] == 0 ? 0 : shape_numel(s) / s[0];
  return r;
}

void softmax_output_infer(const OpAttrs& a, const Metas& in, Metas* out) {
  const std::string& op = a.op()->name;
  nn::check_float_input(op, "data", in[0].dtype);
  const Shape& s = in[0].shape;
  BRAID_CHECK(s.size() >= (a.get_bool("multi_output") ? 2u : 1u), kValue, op, ": input 'data' of shape ", shape_str(s),
              " has too few dimensions");
  const Rows r = softmax_output_rows(a, s);
  BRAID_CHECK(shape_numel(in[1].shape) == r.outer * r.inner, kValue, op, ": input 'label' has shape ",
              shape_str(in[1].shape), " (", shape_numel(in[1].shape),
              " elements), expected one label per softmax line (", r.outer * r.inner, ") of data with shape ",
              shape_str(s));
  (*out)[0] = in[0];
}

// (softmax - onehot(label)) * grad_scale / norm, with label smoothing and ignored labels.
void softmax_output_backward(const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const Tensor& y = in[0];
  const Rows r = softmax_output_rows(a, y.shape());
  const DType ct = nn::compute_dtype(y.dtype());
  const bool use_ignore = a.get_bool("use_ignore");
  const double ignore = a.get_float("ignore_label"), alpha = a.get_float("smooth_alpha");
  const std::string& norm = a.get_str("normalization");
  nn::dispatch_compute(y.dtype(), "_backward_SoftmaxOutput", [&](auto tag) {
    using C = typename decltype(tag)::type;
    Tensor yc = contiguous_as(y, ct), lab = contiguous_as(in[1], DType::kFloat64), g = nn::out_buffer(out[0], ct);
    const C* py = yc.data<C>();
    const double* pl = lab.data<double>();
    C* pg = g.data<C>();
    const int64_t lines = r.outer * r.inner;
    double scale = a.get_float("grad_scale");
    if (norm == "batch") {
      scale /= std::max<int64_t>(y.dim(0), 1);
    } else if (norm == "valid") {
      int64_t valid = 0;
      for (int64_t l = 0; l < lines; ++l)
        valid += !(use_ignore && pl[l] == ignore);
      scale /= std::max<int64_t>(valid, 1);
    }
    const C on = static_cast<C>(1 - alpha), off = r.n > 1 ? static_cast<C>(alpha / (r.n - 1)) : C(0);
    parallel_for(lines, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(r.n, 1)), [&](int64_t b, int64_t e) {
      for (int64_t l = b; l < e; ++l) {
        const int64_t base = (l / r.inner) * r.n * r.inner + l % r.inner;
        const bool skip = use_ignore && pl[l] == ignore;
        const int64_t k = static_cast<int64_t>(pl[l]);
        for (int64_t j = 0; j < r.n; ++j) {
          const int64_t at = base + j * r.inner;
          const C target = j == k ? on : off;
          pg[at] = skip ? C(0) : (py[at] - target) * static_cast<C>(scale);
        }
      }
    });
    nn::finish_out(g, out[0]);
  });
}

OpDef& softmax_output_attrs(OpDef& d) {
  return d.attr_float("grad_scale", 1.0, "scales the gradient")
      .attr_float("ignore_label", -1.0, "label whose lines get no gradient (with use_ignore)")
      .attr_bool("multi_output", false, "softmax along axis 1, one label per position of the other axes")
      .attr_bool("use_ignore", false, "skip lines whose label is ignore_label")
      .attr_bool("preserve_shape", false, "softmax along the last axis")
      .attr_string("normalization", "null", {"null", "batch", "valid"}, "how the gradient is normalised")
      .attr_bool("out_grad", false, "accepted for MXNet compatibility (the incoming gradient is not used)")
      .attr_float("smooth_alpha", 0.0,
                  "label smoothing: the target is 1 - alpha at the label, alpha / (n-1) elsewhere");
}

// softmax_cross_entropy: data (N, C), label (N,) -> (1,) holding sum_i -log softmax(data_i)[label_i].
void sce_infer(const OpAttrs&, const Metas& in, Metas* out) {
  nn::check_float_input("softmax_cross_entropy", "data", in[0].dtype);
  BRAID_CHECK(in[0].shape.size() == 2, kValue, "softmax_cross_entropy: input 'data' must be 2-D (batch, classes), got ",
              shape_str(in[0].shape));
  BRAID_CHECK(in[1].shape == Shape{in[0].shape[0]}, kValue, "softmax_cross_entropy: input 'label' has shape ",
              shape_str(in[1].shape), ", expected (", in[0].shape[0], ",)");
  (*out)[0] = {Shape{1}, in[0].dtype};
}

void sce_kernel(const OpContext&, const OpAttrs&, const Tensors& in, const Tensors& out) {
  const Tensor& x = in[0];
  const Rows r = rows_of(x.shape(), 1);
  const DType ct = nn::compute_dtype(x.dtype());
  nn::dispatch_compute(x.dtype(), "softmax_cross_entropy", [&](auto tag) {
    using C = typename decltype(tag)::type;
    Tensor xc = contiguous_as(x, ct), lab = contiguous_as(in[1], DType::kFloat64);
    Tensor ls = Tensor::empty(x.shape(), ct, x.ctx());
    softmax_lines<C>(xc.data<C>(), ls.data<C>(), r, C(1), true, nullptr);
    const C* p = ls.data<C>();
    const double* pl = lab.data<double>();
    double total = 0;  // serial: one term per row, and a fixed order keeps the sum reproducible
    for (int64_t i = 0; i < r.outer; ++i) {
      const int64_t k = std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(pl[i]), 0), r.n - 1);
      total -= static_cast<double>(p[i * r.n + k]);
    }
    Tensor res = Tensor::empty(Shape{1}, ct, x.ctx());
    res.data<C>()[0] = static_cast<C>(total);
    copy_into(res, out[0]);
  });
}

}  // namespace

void register_softmax_ops(Registry& r) {
  softmax_like(r, "softmax", "Softmax along axis: exp(x / T) / sum(exp(x / T)).", false);
  softmax_like(r, "log_softmax", "Log of softmax along axis, computed stably.", true);

  OpDef& so = r.add("SoftmaxOutput")
                  .alias("Softmax")
                  .describe(
                      "Softmax with a cross-entropy gradient: the forward is a softmax (see multi_output, "
                      "preserve_shape); the backward is (softmax - onehot(label)) * grad_scale / normalisation, "
                      "regardless of the incoming gradient.")
                  .inputs({"data", "label"});
  softmax_output_attrs(so)
      .set_infer(softmax_output_infer)
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const Shape& s = in[0].shape();
        const Rows rw = softmax_output_rows(a, s);
        const DType ct = nn::compute_dtype(in[0].dtype());
        nn::dispatch_compute(in[0].dtype(), "SoftmaxOutput", [&](auto tag) {
          using C = typename decltype(tag)::type;
          Tensor xc = contiguous_as(in[0], ct), y = nn::out_buffer(out[0], ct);
          softmax_lines<C>(xc.data<C>(), y.data<C>(), rw, C(1), false, nullptr);
          nn::finish_out(y, out[0]);
        });
      })
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors& out, const Tensors&) {
        // The backward op declares the same attributes in the same order, so the values carry over as they are.
        const OpDef& b = Registry::get().at("_backward_SoftmaxOutput");
        OpAttrs ba(&b);
        ba.values() = a.values();
        return Tensors{invoke(b, {out[0], in[1]}, std::move(ba), out[0].ctx())[0], Tensor()};
      });

  OpDef& sob = r.add("_backward_SoftmaxOutput")
                   .describe("Gradient of SoftmaxOutput from its output and label.")
                   .inputs({"output", "label"});
  softmax_output_attrs(sob)
      .set_infer(softmax_output_infer)
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        softmax_output_backward(a, in, out);
      });

  r.add("softmax_cross_entropy")
      .describe("Softmax cross-entropy summed over the batch: data (N, C), label (N,), output shape (1,).")
      .inputs({"data", "label"})
      .set_infer(sce_infer)
      .set_cpu(sce_kernel)
      .set_grad([](const OpAttrs&, const Tensors& in, const Tensors&, const Tensors& og) {
        // (softmax(data) - onehot(label)) * g, g being the (1,) output gradient.
        Tensor p = call("softmax", {in[0]});
        Tensor oh = call("one_hot", {in[1]}, {{"depth", in[0].dim(1)}, {"dtype", in[0].dtype()}});
        return Tensors{call("broadcast_mul", {call("elemwise_sub", {p, oh}), og[0]}), Tensor()};
      });
}

}  // namespace braid
