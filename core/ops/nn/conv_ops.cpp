// Convolution and Deconvolution (MXNet 1.x semantics, channel-first layouts, 1-D to 3-D) with their gradient
// rules. The arithmetic lives in nn/im2col: im2col + GEMM for the forward and the weight gradient, GEMM +
// col2im for the data gradient, which is also Deconvolution's forward.
#include <type_traits>

#include "autograd/autograd.h"
#include "ops/kernel_util.h"
#include "ops/nn/im2col.h"
#include "ops/op_call.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

// Runs f(type_tag<T>) for T = float or double; staged buffers are never 16-bit.
template <typename F>
void dispatch_staged(DType t, F f) {
  dispatch_float(t, "convolution", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same<T, float>::value || std::is_same<T, double>::value)
      f(tag);
    else
      fail(ErrorKind::kRuntime, "internal error: 16-bit convolution buffer not converted");
  });
}

template <typename T>
const T* ptr(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

std::vector<int64_t> tail(const int64_t* v, int nd) {
  return std::vector<int64_t>(v + 3 - nd, v + 3);
}

void check_float(const OpAttrs& a, const Metas& in) {
  const OpDef* op = a.op();
  const DType dt = in[0].dtype;
  BRAID_CHECK(dtype_is_float(dt), kType, op->name, ": ", op->input_names[0], " must be floating-point, got ",
              dtype_name(dt));
  for (size_t i = 1; i < in.size(); ++i) {
    BRAID_CHECK(in[i].dtype == dt, kType, op->name, ": ", op->input_names[i], " must have the dtype of ",
                op->input_names[0], " (", dtype_name(dt), "), got ", dtype_name(in[i].dtype));
  }
}

void check_bias_count(const OpAttrs& a, size_t n_in) {
  const bool no_bias = a.get_bool("no_bias");
  BRAID_CHECK(n_in == (no_bias ? 2u : 3u), kValue, a.op()->name, ": ",
              no_bias ? "no_bias=True takes no 'bias' input" : "'bias' is required unless no_bias=True");
}

void check_shape(const OpAttrs& a, const char* what, const Shape& got, const Shape& want, const char* layout) {
  BRAID_CHECK(got == want, kValue, a.op()->name, ": ", what, " has shape ", shape_str(got), ", expected ",
              shape_str(want), " ", layout);
}

// Channels, groups and filters shared by both ops; C and K already set.
void check_groups(const OpAttrs& a, const ConvGeom& g, const char* c_name) {
  BRAID_CHECK(g.G >= 1, kValue, a.op()->name, ": num_group must be >= 1, got ", g.G);
  BRAID_CHECK(a.get_int("num_filter") >= 1, kValue, a.op()->name, ": num_filter must be >= 1, got ",
              a.get_int("num_filter"));
  BRAID_CHECK(g.C % g.G == 0 && g.K % g.G == 0, kValue, a.op()->name, ": ", c_name, " (", g.C, ") and the filters (",
              g.K, ") must both be divisible by num_group (", g.G, ")");
}

// Convolution's geometry from the data shape and attributes.
ConvGeom conv_geom(const OpAttrs& a, const Shape& x) {
  ConvGeom g;
  conv_read_window(a, static_cast<int>(x.size()), &g);
  conv_check_layout(a, static_cast<int>(x.size()));
  g.N = x[0];
  g.C = x[1];
  g.K = a.get_int("num_filter");
  g.G = a.get_int("num_group");
  check_groups(a, g, "input channels");
  for (int i = 0; i < g.nd; ++i) {
    const int j = 3 - g.nd + i;
    g.in[j] = x[2 + i];
    g.out[j] = conv_out_size(a, i, g.in[j], g.k[j], g.s[j], g.d[j], g.p[j]);
  }
  return g;
}

Shape out_shape(const ConvGeom& g, int64_t channels, bool conv_out) {
  Shape s = {g.N, channels};
  for (int j = 3 - g.nd; j < 3; ++j)
    s.push_back(conv_out ? g.out[j] : g.in[j]);
  return s;
}

// Deconvolution as the adjoint of a convolution: the convolution's input is the deconvolution's output.
// Resolves target_shape and adj into the effective padding (MXNet's rule: pad the excess evenly, the odd
// element goes to adj).
ConvGeom deconv_geom(const OpAttrs& a, const Shape& x) {
  const std::string& op = a.op()->name;
  ConvGeom g;
  const int ndim = static_cast<int>(x.size());
  conv_read_window(a, ndim, &g);
  conv_check_layout(a, ndim);
  g.N = x[0];
  g.K = x[1];
  g.C = a.get_int("num_filter");
  g.G = a.get_int("num_group");
  check_groups(a, g, "num_filter");
  const std::vector<int64_t>& adj = a.get_tuple("adj");
  const std::vector<int64_t>& target = a.get_tuple("target_shape");
  BRAID_CHECK(adj.empty() || static_cast<int>(adj.size()) == g.nd, kValue, op, ": adj must have ", g.nd,
              " element(s) for ", ndim, "-D data, got ", shape_str(adj));
  BRAID_CHECK(target.empty() || static_cast<int>(target.size()) == g.nd, kValue, op, ": target_shape must have ", g.nd,
              " element(s) for ", ndim, "-D data, got ", shape_str(target));
  for (int i = 0; i < g.nd; ++i) {
    const int j = 3 - g.nd + i;
    const int64_t in = x[2 + i], dk = g.d[j] * (g.k[j] - 1) + 1;
    int64_t ad = adj.empty() ? 0 : adj[i];
    if (!target.empty() && target[i] > 0) {
      const int64_t total = g.s[j] * (in - 1) + dk - target[i];
      BRAID_CHECK(total >= 0, kValue, op, ": target_shape ", shape_str(target), " is larger than the largest output (",
                  g.s[j] * (in - 1) + dk, ") along spatial axis ", i);
      ad = total % 2;
      g.p[j] = (total + 1) / 2;
    } else {
      BRAID_CHECK(ad >= 0 && ad < g.s[j], kValue, op, ": adj must be >= 0 and smaller than stride, got adj ",
                  shape_str(adj), " with stride ", shape_str(tail(g.s, g.nd)));
    }
    const int64_t out = g.s[j] * (in - 1) + dk - 2 * g.p[j] + ad;
    BRAID_CHECK(out >= 1, kValue, op, ": output size ", out, " along spatial axis ", i, " is not positive (pad ",
                shape_str(tail(g.p, g.nd)), " too large)");
    g.out[j] = in;
    g.in[j] = out;
  }
  return g;
}

void window_infer_common(const OpAttrs& a, const Metas& in, const ConvGeom& g) {
  check_shape(a, "weight", in[1].shape, conv_weight_shape(g), "(filters, channels / num_group, *kernel)");
  if (in.size() > 2)
    check_shape(a, "bias", in[2].shape, Shape{a.get_int("num_filter")}, "(num_filter,)");
}

// Sum of the output gradient over the batch and spatial axes: the bias gradient.
Tensor bias_grad(const Tensor& dy) {
  std::vector<int64_t> axes = {0};
  for (int i = 2; i < dy.ndim(); ++i)
    axes.push_back(i);
  return call("sum", {dy}, {{"axis", axes}});
}

void add_window_attrs(OpDef& d, bool deconv) {
  d.attr_tuple_required("kernel", "window size per spatial axis: (w,), (h, w) or (d, h, w)")
      .attr_tuple("stride", {}, "stride per spatial axis (default 1)")
      .attr_tuple("dilate", {}, "dilation per spatial axis (default 1)")
      .attr_tuple("pad", {}, "zero padding on both sides per spatial axis (default 0)");
  if (deconv) {
    d.attr_tuple("adj", {}, "extra output size on the high side per spatial axis (must be < stride)")
        .attr_tuple("target_shape", {}, "output spatial shape; when given, pad and adj are derived from it");
  }
  d.attr_int_required("num_filter", deconv ? "output channels" : "number of filters (output channels)")
      .attr_int("num_group", 1, "groups: input and output channels are split into this many independent parts")
      .attr_int("workspace", 1024, "ignored (MXNet's workspace limit in MB)")
      .attr_bool("no_bias", deconv, "when True the op has no bias input")
      .attr_string_optional("layout", {"NCW", "NCHW", "NCDHW"}, "data layout; only channel-first is supported");
}

// The window attributes with the given padding, for calls from gradient rules.
Tensor call_window(const char* op, Tensors in, const OpAttrs& a, const std::vector<int64_t>& pad,
                   const Shape* data_shape) {
  const std::vector<int64_t> k = a.get_tuple("kernel"), s = a.get_tuple("stride"), d = a.get_tuple("dilate");
  const int64_t grp = a.get_int("num_group");
  if (data_shape != nullptr) {
    return call(
        op, std::move(in),
        {{"kernel", k}, {"stride", s}, {"dilate", d}, {"pad", pad}, {"num_group", grp}, {"data_shape", *data_shape}});
  }
  return call(op, std::move(in), {{"kernel", k}, {"stride", s}, {"dilate", d}, {"pad", pad}, {"num_group", grp}});
}

// ---- internal gradient ops ------------------------------------------------------------------------------------

// Geometry of the internal ops: data shape x, output-gradient shape y; checks that they agree.
ConvGeom grad_geom(const OpAttrs& a, const Shape& x, const Shape& y) {
  ConvGeom g;
  conv_read_window(a, static_cast<int>(x.size()), &g);
  BRAID_CHECK(y.size() == x.size(), kValue, a.op()->name, ": out_grad ", shape_str(y), " and data ", shape_str(x),
              " must have the same rank");
  g.N = x[0];
  g.C = x[1];
  g.K = y[1];
  g.G = a.get_int("num_group");
  BRAID_CHECK(g.G >= 1 && g.C % g.G == 0 && g.K % g.G == 0 && y[0] == x[0], kValue, a.op()->name, ": data ",
              shape_str(x), " and out_grad ", shape_str(y), " do not fit num_group ", g.G);
  for (int i = 0; i < g.nd; ++i) {
    const int j = 3 - g.nd + i;
    g.in[j] = x[2 + i];
    g.out[j] = conv_out_size(a, i, g.in[j], g.k[j], g.s[j], g.d[j], g.p[j]);
    BRAID_CHECK(g.out[j] == y[2 + i], kValue, a.op()->name, ": out_grad ", shape_str(y), " does not match data ",
                shape_str(x), " along spatial axis ", i);
  }
  return g;
}

void register_internal(Registry& r) {
  r.add("_conv_data_grad")
      .describe("Internal: gradient of Convolution with respect to its data (a transposed convolution).")
      .inputs({"out_grad", "weight"})
      .attr_tuple_required("kernel", "window size")
      .attr_tuple("stride", {}, "stride")
      .attr_tuple("dilate", {}, "dilation")
      .attr_tuple("pad", {}, "padding")
      .attr_int("num_group", 1, "groups")
      .attr_tuple_required("data_shape", "shape of the convolution's data")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_float(a, in);
        const Shape& xs = a.get_tuple("data_shape");
        ConvGeom g = grad_geom(a, xs, in[0].shape);
        check_shape(a, "weight", in[1].shape, conv_weight_shape(g), "(filters, channels / num_group, *kernel)");
        (*out)[0] = {xs, in[0].dtype};
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        ConvGeom g = grad_geom(a, out[0].shape(), in[0].shape());
        Tensor dy = conv_staged(in[0]), w = conv_staged(in[1]), dx = conv_result_buffer(out[0]);
        dispatch_staged(dx.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          conv_backward_data<T>(g, dy.data<T>(), w.data<T>(), dx.data<T>());
        });
        conv_finish(dx, out[0]);
      });

  r.add("_conv_weight_grad")
      .describe("Internal: gradient of Convolution with respect to its weight, summed over the batch.")
      .inputs({"data", "out_grad"})
      .attr_tuple_required("kernel", "window size")
      .attr_tuple("stride", {}, "stride")
      .attr_tuple("dilate", {}, "dilation")
      .attr_tuple("pad", {}, "padding")
      .attr_int("num_group", 1, "groups")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_float(a, in);
        (*out)[0] = {conv_weight_shape(grad_geom(a, in[0].shape, in[1].shape)), in[0].dtype};
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        ConvGeom g = grad_geom(a, in[0].shape(), in[1].shape());
        Tensor x = conv_staged(in[0]), dy = conv_staged(in[1]), dw = conv_result_buffer(out[0]);
        dispatch_staged(dw.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          conv_backward_weight<T>(g, x.data<T>(), dy.data<T>(), dw.data<T>());
        });
        conv_finish(dw, out[0]);
      });
}

}  // namespace

void register_conv_ops(Registry& r) {
  OpDef& conv = r.add("Convolution")
                    .describe(
                        "Convolution over 1-D (NCW), 2-D (NCHW) or 3-D (NCDHW) data, MXNet semantics: weight is "
                        "(num_filter, channels / num_group, *kernel); out = conv(data, weight) + bias. With "
                        "no_bias=True the op takes no bias input.")
                    .inputs({"data", "weight", "bias"})
                    .optional_inputs(1);
  add_window_attrs(conv, false);
  conv.set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_bias_count(a, in.size());
        check_float(a, in);
        const ConvGeom g = conv_geom(a, in[0].shape);
        window_infer_common(a, in, g);
        (*out)[0] = {out_shape(g, g.K, true), in[0].dtype};
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const ConvGeom g = conv_geom(a, in[0].shape());
        Tensor x = conv_staged(in[0]), w = conv_staged(in[1]);
        Tensor b = in.size() > 2 ? conv_staged(in[2]) : Tensor();
        Tensor y = conv_result_buffer(out[0]);
        dispatch_staged(y.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          conv_forward<T>(g, x.data<T>(), w.data<T>(), ptr<T>(b), y.data<T>());
        });
        conv_finish(y, out[0]);
      })
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
        const Tensor& dy = og[0];
        Tensors g(in.size());
        if (!dy.defined())
          return g;
        const std::vector<int64_t>& pad = a.get_tuple("pad");
        const Shape xs = in[0].shape();
        if (input_grad_needed(0))  // not for the first layer's data
          g[0] = call_window("_conv_data_grad", {dy, in[1]}, a, pad, &xs);
        if (input_grad_needed(1))
          g[1] = call_window("_conv_weight_grad", {in[0], dy}, a, pad, nullptr);
        if (in.size() > 2 && input_grad_needed(2))
          g[2] = bias_grad(dy);
        return g;
      });

  OpDef& deconv = r.add("Deconvolution")
                      .describe(
                          "Transposed convolution (the gradient of Convolution with respect to its data), MXNet "
                          "semantics: weight is (channels, num_filter / num_group, *kernel); the output size is "
                          "stride * (in - 1) + dilate * (kernel - 1) + 1 - 2 * pad + adj, or target_shape.")
                      .inputs({"data", "weight", "bias"})
                      .optional_inputs(1);
  add_window_attrs(deconv, true);
  deconv
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_bias_count(a, in.size());
        check_float(a, in);
        const ConvGeom g = deconv_geom(a, in[0].shape);
        window_infer_common(a, in, g);
        (*out)[0] = {out_shape(g, g.C, false), in[0].dtype};
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const ConvGeom g = deconv_geom(a, in[0].shape());
        Tensor x = conv_staged(in[0]), w = conv_staged(in[1]);
        Tensor b = in.size() > 2 ? conv_staged(in[2]) : Tensor();
        Tensor y = conv_result_buffer(out[0]);
        dispatch_staged(y.dtype(), [&](auto tag) {
          using T = typename decltype(tag)::type;
          conv_backward_data<T>(g, x.data<T>(), w.data<T>(), y.data<T>());
          if (const T* bias = ptr<T>(b)) {
            T* yp = y.data<T>();
            const int64_t plane = g.in_size();
            for (int64_t i = 0; i < g.N * g.C; ++i) {
              const T bv = bias[i % g.C];
              for (int64_t p = 0; p < plane; ++p)
                yp[i * plane + p] += bv;
            }
          }
        });
        conv_finish(y, out[0]);
      })
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
        const Tensor& dy = og[0];
        Tensors g(in.size());
        if (!dy.defined())
          return g;
        const ConvGeom geo = deconv_geom(a, in[0].shape());
        const std::vector<int64_t> pad = tail(geo.p, geo.nd);
        // The deconvolution's data gradient is the forward convolution of dy with the same weight.
        const std::vector<int64_t> k = a.get_tuple("kernel"), s = a.get_tuple("stride"), d = a.get_tuple("dilate");
        if (input_grad_needed(0))
          g[0] = call("Convolution", {dy, in[1]},
                      {{"kernel", k},
                       {"stride", s},
                       {"dilate", d},
                       {"pad", pad},
                       {"num_filter", geo.K},
                       {"num_group", geo.G},
                       {"no_bias", true}});
        g[1] = call_window("_conv_weight_grad", {dy, in[0]}, a, pad, nullptr);
        if (in.size() > 2)
          g[2] = bias_grad(dy);
        return g;
      });

  register_internal(r);
}

}  // namespace braid
