// Activation (relu, sigmoid, tanh, softrelu, softsign) and LeakyReLU (leaky, prelu, elu, selu, gelu), MXNet
// semantics. Their derivatives are fused internal ops (_backward_Activation, _backward_LeakyReLU) taking the
// output gradient and the forward input: one pass instead of a chain of elementwise ops per derivative.
#include <cmath>
#include <type_traits>

#include "ops/nn/nn_basic.h"
#include "ops/op_call.h"

namespace braid {

namespace {

using nn::Metas;
using nn::Tensors;

enum class Act { kRelu, kSigmoid, kTanh, kSoftrelu, kSoftsign, kLeaky, kPrelu, kElu, kSelu, kGelu };

Act act_of(const std::string& s) {
  static const std::pair<const char*, Act> table[] = {
      {"relu", Act::kRelu},         {"sigmoid", Act::kSigmoid}, {"tanh", Act::kTanh},   {"softrelu", Act::kSoftrelu},
      {"softsign", Act::kSoftsign}, {"leaky", Act::kLeaky},     {"prelu", Act::kPrelu}, {"elu", Act::kElu},
      {"selu", Act::kSelu},         {"gelu", Act::kGelu}};
  for (const auto& e : table) {
    if (s == e.first)
      return e.second;
  }
  fail(ErrorKind::kValue, "unknown act_type '", s, "'");
}

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluLambda = 1.0507009873554804934193349852946;
constexpr double kInvSqrt2 = 0.70710678118654752440084436210485;
constexpr double kInvSqrt2Pi = 0.39894228040143267793994605993438;

// f(x); slope is LeakyReLU's slope (leaky, elu) or prelu's gamma for this element.
template <Act K, typename C>
C act_forward(C x, C slope) {
  (void)slope;
  switch (K) {
    case Act::kRelu:
      return x > C(0) ? x : C(0);
    case Act::kSigmoid:
      return C(1) / (C(1) + std::exp(-x));
    case Act::kTanh:
      return std::tanh(x);
    case Act::kSoftrelu:  // log(1 + exp(x)) without overflow for large x
      return x > C(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case Act::kSoftsign:
      return x / (C(1) + std::abs(x));
    case Act::kLeaky:
    case Act::kPrelu:
      return x > C(0) ? x : slope * x;
    case Act::kElu:
      return x > C(0) ? x : slope * std::expm1(x);
    case Act::kSelu:
      return C(kSeluLambda) * (x > C(0) ? x : C(kSeluAlpha) * std::expm1(x));
    case Act::kGelu:
      return C(0.5) * x * (C(1) + std::erf(x * C(kInvSqrt2)));
  }
  return x;
}

// f'(x), from the forward input.
template <Act K, typename C>
C act_derivative(C x, C slope) {
  (void)slope;
  switch (K) {
    case Act::kRelu:
      return x > C(0) ? C(1) : C(0);
    case Act::kSigmoid: {
      const C s = C(1) / (C(1) + std::exp(-x));
      return s * (C(1) - s);
    }
    case Act::kTanh: {
      const C t = std::tanh(x);
      return C(1) - t * t;
    }
    case Act::kSoftrelu:
      return C(1) / (C(1) + std::exp(-x));
    case Act::kSoftsign: {
      const C d = C(1) + std::abs(x);
      return C(1) / (d * d);
    }
    case Act::kLeaky:
    case Act::kPrelu:
      return x > C(0) ? C(1) : slope;
    case Act::kElu:
      return x > C(0) ? C(1) : slope * std::exp(x);
    case Act::kSelu:
      return C(kSeluLambda) * (x > C(0) ? C(1) : C(kSeluAlpha) * std::exp(x));
    case Act::kGelu:
      return C(0.5) * (C(1) + std::erf(x * C(kInvSqrt2))) + x * C(kInvSqrt2Pi) * std::exp(C(-0.5) * x * x);
  }
  return C(1);
}

// Runs f(std::integral_constant<Act, K>) for the runtime value k, so each kernel is compiled per activation
// (a switch inside the per-element loop kept the compiler from vectorising it).
template <typename F>
void dispatch_act(Act k, F&& f) {
  switch (k) {
    case Act::kRelu:
      return f(std::integral_constant<Act, Act::kRelu>{});
    case Act::kSigmoid:
      return f(std::integral_constant<Act, Act::kSigmoid>{});
    case Act::kTanh:
      return f(std::integral_constant<Act, Act::kTanh>{});
    case Act::kSoftrelu:
      return f(std::integral_constant<Act, Act::kSoftrelu>{});
    case Act::kSoftsign:
      return f(std::integral_constant<Act, Act::kSoftsign>{});
    case Act::kLeaky:
      return f(std::integral_constant<Act, Act::kLeaky>{});
    case Act::kPrelu:
      return f(std::integral_constant<Act, Act::kPrelu>{});
    case Act::kElu:
      return f(std::integral_constant<Act, Act::kElu>{});
    case Act::kSelu:
      return f(std::integral_constant<Act, Act::kSelu>{});
    case Act::kGelu:
      return f(std::integral_constant<Act, Act::kGelu>{});
  }
}

// prelu's gamma as an array broadcasting against data: (C,) applies along axis 1, a single value everywhere.
Tensor gamma_view(const Tensor& gamma, int ndim) {
  if (gamma.numel() == 1 || ndim < 2)
    return gamma.view(Shape{}, Shape{}, gamma.impl()->offset);
  Shape s(ndim, 1), st(ndim, 0);
  s[1] = gamma.dim(0);
  st[1] = gamma.strides()[0];
  return gamma.view(s, st, gamma.impl()->offset);
}

Shape gamma_broadcast_shape(const Tensor& gamma, int ndim) {
  if (gamma.numel() == 1 || ndim < 2)
    return Shape{};
  Shape s(ndim, 1);
  s[1] = gamma.dim(0);
  return s;
}

void check_gamma(const OpAttrs& a, const Metas& in) {
  const std::string& op = a.op()->name;
  const bool prelu = a.get_str("act_type") == "prelu";
  BRAID_CHECK(!prelu || in.size() >= 2, kValue, op, ": act_type='prelu' needs the input 'gamma'");
  if (prelu) {
    const Shape& g = in[1].shape;
    const int64_t ch = in[0].shape.size() >= 2 ? in[0].shape[1] : 1;
    BRAID_CHECK(g.size() == 1 && (g[0] == 1 || g[0] == ch), kValue, op, ": input 'gamma' has shape ", shape_str(g),
                ", expected (1,) or (", ch, ",) (the size of data's axis 1)");
    BRAID_CHECK(in[1].dtype == in[0].dtype, kType, op, ": input 'gamma' has dtype ", dtype_name(in[1].dtype),
                " but 'data' has ", dtype_name(in[0].dtype));
  }
}

void activation_infer(const OpAttrs& a, const Metas& in, Metas* out) {
  nn::check_float_input(a.op()->name, "data", in[0].dtype);
  (*out)[0] = in[0];
}

template <typename F>
void map_float(const char* op, const Tensor& out, const Tensor& x, F f) {
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    map_unary<T, T>(out, x, f);
  });
}

template <typename F>
void map_float2(const char* op, const Tensor& out, const Tensor& x, const Tensor& y, F f) {
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    map_binary<T, T, T>(out, x, y, f);
  });
}

void leaky_forward(const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const Act k = act_of(a.get_str("act_type"));
  if (k == Act::kPrelu) {
    map_float2("LeakyReLU", out[0], in[0], gamma_view(in[1], in[0].ndim()),
               [](auto x, auto g) { return act_forward<Act::kPrelu>(x, g); });
  } else {
    const double slope = a.get_float("slope");
    dispatch_act(k, [&](auto K) {
      map_float("LeakyReLU", out[0], in[0],
                [slope](auto x) { return act_forward<decltype(K)::value>(x, decltype(x)(slope)); });
    });
  }
}

// in: out_grad, data[, gamma] -> d data.
void leaky_backward(const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const Act k = act_of(a.get_str("act_type"));
  if (k == Act::kPrelu) {
    // d data = g * (x > 0 ? 1 : gamma): the derivative first, then scaled by g in place.
    map_float2("_backward_LeakyReLU", out[0], in[1], gamma_view(in[2], in[1].ndim()),
               [](auto x, auto g) { return act_derivative<Act::kPrelu>(x, g); });
    map_float2("_backward_LeakyReLU", out[0], out[0], in[0], [](auto d, auto g) { return d * g; });
  } else {
    const double slope = a.get_float("slope");
    dispatch_act(k, [&](auto K) {
      map_float2("_backward_LeakyReLU", out[0], in[0], in[1],
                 [slope](auto g, auto x) { return g * act_derivative<decltype(K)::value>(x, decltype(x)(slope)); });
    });
  }
}

}  // namespace

void register_activation_ops(Registry& r) {
  r.add("Activation")
      .describe("Elementwise activation: relu, sigmoid, tanh, softrelu (log(1 + exp(x))) or softsign.")
      .inputs({"data"})
      .inplace()
      .attr_string("act_type", "relu", {"relu", "sigmoid", "tanh", "softrelu", "softsign"}, "the activation")
      .set_infer(activation_infer)
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const Act k = act_of(a.get_str("act_type"));
        dispatch_act(k, [&](auto K) {
          map_float("Activation", out[0], in[0],
                    [](auto x) { return act_forward<decltype(K)::value>(x, decltype(x)(0)); });
        });
      })
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
        return Tensors{call("_backward_Activation", {og[0], in[0]}, {{"act_type", a.get_str("act_type").c_str()}})};
      });

  r.add("_backward_Activation")
      .describe("Gradient of Activation: out_grad * f'(data).")
      .inputs({"out_grad", "data"})
      .attr_string("act_type", "relu", {"relu", "sigmoid", "tanh", "softrelu", "softsign"}, "the activation")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        BRAID_CHECK(in[0].shape == in[1].shape && in[0].dtype == in[1].dtype, kValue,
                    "_backward_Activation: out_grad and data must have the same shape and dtype");
        activation_infer(a, in, out);
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const Act k = act_of(a.get_str("act_type"));
        dispatch_act(k, [&](auto K) {
          map_float2("_backward_Activation", out[0], in[0], in[1],
                     [](auto g, auto x) { return g * act_derivative<decltype(K)::value>(x, decltype(x)(0)); });
        });
      });

  r.add("LeakyReLU")
      .describe(
          "Leaky activations: leaky (x or slope * x), prelu (x or gamma * x, gamma per channel on axis 1), elu "
          "(x or slope * (exp(x) - 1)), selu and gelu (erf form).")
      .inputs({"data", "gamma"})
      .optional_inputs(1)
      .attr_string("act_type", "leaky", {"leaky", "prelu", "elu", "selu", "gelu"}, "the activation")
      .attr_float("slope", 0.25, "slope for x < 0 (leaky) or scale (elu)")
      .attr_float("lower_bound", 0.125, "rrelu's lower bound (accepted for MXNet compatibility, unused)")
      .attr_float("upper_bound", 0.334, "rrelu's upper bound (accepted for MXNet compatibility, unused)")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        activation_infer(a, in, out);
        check_gamma(a, in);
      })
      .set_cpu(
          [](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) { leaky_forward(a, in, out); })
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
        const std::string& t = a.get_str("act_type");
        Tensors ins{og[0], in[0]};
        if (t == "prelu")
          ins.push_back(in[1]);
        Tensors grads{call("_backward_LeakyReLU", ins, {{"act_type", t.c_str()}, {"slope", a.get_float("slope")}})};
        if (t == "prelu") {
          // d gamma: g * x where x <= 0, summed over everything but gamma's axis.
          Tensor neg = call("_minimum_scalar", {in[0]}, {{"scalar", 0.0}});
          Tensor s = sum_to_shape(call("elemwise_mul", {og[0], neg}), gamma_broadcast_shape(in[1], in[0].ndim()));
          const Shape& gs = in[1].shape();
          grads.push_back(call("reshape", {s}, {{"shape", std::vector<int64_t>(gs.begin(), gs.end())}}));
        } else if (in.size() == 2) {
          grads.push_back(Tensor());
        }
        return grads;
      });

  r.add("_backward_LeakyReLU")
      .describe("Gradient of LeakyReLU with respect to data: out_grad * f'(data).")
      .inputs({"out_grad", "data", "gamma"})
      .optional_inputs(1)
      .attr_string("act_type", "leaky", {"leaky", "prelu", "elu", "selu", "gelu"}, "the activation")
      .attr_float("slope", 0.25, "slope for x < 0 (leaky) or scale (elu)")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        BRAID_CHECK(in[0].shape == in[1].shape && in[0].dtype == in[1].dtype, kValue,
                    "_backward_LeakyReLU: out_grad and data must have the same shape and dtype");
        activation_infer(a, in, out);
        check_gamma(a, Metas(in.begin() + 1, in.end()));
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        leaky_backward(a, in, out);
      });
}

}  // namespace braid
