// Binary elementwise ops: arithmetic, comparison and logic, with numpy broadcasting (broadcast_*), same-shape
// forms (elemwise_*) and array-scalar forms (_*_scalar, MXNet's names). Mixed dtypes promote numpy-style;
// comparisons return the promoted dtype holding 0/1, as MXNet's do. Integer division and modulo by zero give 0.
#include <cmath>
#include <functional>
#include <limits>
#include <type_traits>

#include "ops/grad_util.h"
#include "ops/kernel_util.h"

namespace braid {

namespace {

template <typename C>
C int_pow(C base, C exp) {
  if (exp < 0)
    return base == 1 ? 1 : (base == -1 ? ((exp & 1) ? -1 : 1) : 0);
  C r = 1;
  while (exp) {
    if (exp & 1)
      r *= base;
    base *= base;
    exp >>= 1;
  }
  return r;
}

// Each functor computes in the compute type C of the (promoted) dtype.
struct Add {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a + b);
  }
};
struct Sub {
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_same<C, bool>::value)
      return a != b;
    else
      return static_cast<C>(a - b);
  }
};
struct Mul {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a * b);
  }
};
struct Div {
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_floating_point<C>::value)
      return a / b;
    else if constexpr (std::is_same<C, bool>::value)
      return a && b;
    // b == -1 is negation: a / -1 traps for the most negative value on x86.
    else if constexpr (std::is_signed<C>::value)
      return b == 0 ? C(0) : b == -1 ? static_cast<C>(0 - a) : static_cast<C>(a / b);
    else
      return b == 0 ? C(0) : static_cast<C>(a / b);
  }
};
struct Mod {  // Python's sign convention: the result takes the divisor's sign
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_floating_point<C>::value) {
      if (b == 0)
        return std::numeric_limits<C>::quiet_NaN();
      C r = std::fmod(a, b);
      return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
    } else if constexpr (std::is_same<C, bool>::value) {
      return false;
    } else {
      if (b == 0 || (std::is_signed<C>::value && b == C(-1)))
        return 0;
      C r = static_cast<C>(a % b);
      return (r != 0 && ((r < 0) != (b < 0))) ? static_cast<C>(r + b) : r;
    }
  }
};
struct Pow {
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_floating_point<C>::value)
      return std::pow(a, b);
    else if constexpr (std::is_same<C, bool>::value)
      return a || !b;
    else
      return int_pow<C>(a, b);
  }
};
struct Maximum {
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_floating_point<C>::value) {
      if (std::isnan(a) || std::isnan(b))
        return std::numeric_limits<C>::quiet_NaN();
    }
    return a > b ? a : b;
  }
};
struct Minimum {
  template <typename C>
  C operator()(C a, C b) const {
    if constexpr (std::is_floating_point<C>::value) {
      if (std::isnan(a) || std::isnan(b))
        return std::numeric_limits<C>::quiet_NaN();
    }
    return a < b ? a : b;
  }
};
struct Hypot {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(std::hypot(static_cast<double>(a), static_cast<double>(b)));
  }
};
struct Equal {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a == b);
  }
};
struct NotEqual {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a != b);
  }
};
struct Greater {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a > b);
  }
};
struct GreaterEqual {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a >= b);
  }
};
struct Lesser {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a < b);
  }
};
struct LesserEqual {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a <= b);
  }
};
struct LogicalAnd {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a != C(0) && b != C(0));
  }
};
struct LogicalOr {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>(a != C(0) || b != C(0));
  }
};
struct LogicalXor {
  template <typename C>
  C operator()(C a, C b) const {
    return static_cast<C>((a != C(0)) != (b != C(0)));
  }
};
// The reversed forms used by scalar ops whose scalar is the left operand.
template <typename F>
struct Reversed {
  template <typename C>
  C operator()(C a, C b) const {
    return F()(b, a);
  }
};

template <typename F>
void binary_kernel(const Tensor& a, const Tensor& b, const Tensor& out) {
  DType t = out.dtype();
  Tensor ac = a.dtype() == t ? a : contiguous_as(a, t);
  Tensor bc = b.dtype() == t ? b : contiguous_as(b, t);
  dispatch_dtype(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    map_binary<T, T, T>(out, ac, bc, F());
  });
}

void infer_broadcast(const OpAttrs& attrs, const std::vector<TensorMeta>& in, std::vector<TensorMeta>* out) {
  (*out)[0].shape = broadcast_shapes(in[0].shape, in[1].shape, attrs.op()->name.c_str());
  (*out)[0].dtype = promote_types(in[0].dtype, in[1].dtype);
}

void infer_same_shape(const OpAttrs& attrs, const std::vector<TensorMeta>& in, std::vector<TensorMeta>* out) {
  BRAID_CHECK(in[0].shape == in[1].shape, kValue, attrs.op()->name, ": lhs and rhs must have the same shape, got ",
              shape_str(in[0].shape), " and ", shape_str(in[1].shape), " (use broadcast_", attrs.op()->name.substr(9),
              " to broadcast)");
  (*out)[0].shape = in[0].shape;
  (*out)[0].dtype = promote_types(in[0].dtype, in[1].dtype);
}

template <typename F>
void scalar_kernel(const Tensor& a, double scalar, const Tensor& out) {
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const C s = static_cast<C>(scalar);
    map_unary<T, T>(out, a, [s](C x) { return F()(x, s); });
  });
}

template <typename F>
void add_binary(Registry& r, const std::string& name, const std::string& what, const char* mx_alias = nullptr) {
  OpDef& d = r.add("broadcast_" + name)
                 .describe("Elementwise " + what + " of lhs and rhs with numpy broadcasting.")
                 .inputs({"lhs", "rhs"})
                 .inplace()
                 .set_infer(infer_broadcast)
                 .set_cpu([](const OpContext&, const OpAttrs&, const std::vector<Tensor>& in,
                             const std::vector<Tensor>& out) { binary_kernel<F>(in[0], in[1], out[0]); });
  if (mx_alias)
    d.alias(mx_alias);
  r.add("elemwise_" + name)
      .describe("Elementwise " + what + " of two arrays of the same shape.")
      .inputs({"lhs", "rhs"})
      .inplace()
      .set_infer(infer_same_shape)
      .set_cpu([](const OpContext&, const OpAttrs&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        binary_kernel<F>(in[0], in[1], out[0]);
      });
}

template <typename F>
void add_scalar(Registry& r, const std::string& name, const std::string& what) {
  r.add(name)
      .describe(what + " The result has the array's dtype.")
      .inputs({"data"})
      .inplace()
      .attr_float("scalar", 1.0, "the scalar operand")
      .set_infer(infer_same_as_input0)
      .set_cpu([](const OpContext&, const OpAttrs& attrs, const std::vector<Tensor>& in,
                  const std::vector<Tensor>& out) { scalar_kernel<F>(in[0], attrs.get_float("scalar"), out[0]); });
}

// d(out)/d(lhs) * g and d(out)/d(rhs) * g at the broadcast shape; set_binary_grad sums them back.
using BinaryGrad =
    std::function<std::pair<Tensor, Tensor>(const Tensor& a, const Tensor& b, const Tensor& out, const Tensor& g)>;

void set_binary_grad(Registry& r, const std::string& name, BinaryGrad f) {
  GradFn rule = [f](const OpAttrs&, const std::vector<Tensor>& in, const std::vector<Tensor>& out,
                    const std::vector<Tensor>& og) {
    auto [ga, gb] = f(in[0], in[1], out[0], og[0]);
    return std::vector<Tensor>{sum_to_shape(ga, in[0].shape()), sum_to_shape(gb, in[1].shape())};
  };
  r.def("broadcast_" + name).set_grad(rule);
  r.def("elemwise_" + name).set_grad(rule);
}

// Comparisons and logic are piecewise constant: no gradient flows through them.
void set_no_grad(Registry& r, const std::string& name) {
  r.def(name).set_grad([](const OpAttrs&, const std::vector<Tensor>& in, const std::vector<Tensor>&,
                          const std::vector<Tensor>&) { return std::vector<Tensor>(in.size()); });
}

void register_binary_grads(Registry& r) {
  using namespace g;
  set_binary_grad(r, "add",
                  [](const Tensor&, const Tensor&, const Tensor&, const Tensor& dy) { return std::make_pair(dy, dy); });
  set_binary_grad(r, "sub", [](const Tensor&, const Tensor&, const Tensor&, const Tensor& dy) {
    return std::make_pair(dy, neg(dy));
  });
  set_binary_grad(r, "mul", [](const Tensor& a, const Tensor& b, const Tensor&, const Tensor& dy) {
    return std::make_pair(mul(dy, b), mul(dy, a));
  });
  set_binary_grad(r, "div", [](const Tensor& a, const Tensor& b, const Tensor&, const Tensor& dy) {
    Tensor da = div(dy, b);
    return std::make_pair(da, neg(mul(da, div(a, b))));
  });
  set_binary_grad(r, "power", [](const Tensor& a, const Tensor& b, const Tensor& y, const Tensor& dy) {
    Tensor da = mul(dy, mul(b, call("broadcast_power", {a, plus(b, -1.0)})));
    return std::make_pair(da, mul(dy, mul(y, call("log", {a}))));
  });
  set_binary_grad(r, "maximum", [](const Tensor& a, const Tensor& b, const Tensor&, const Tensor& dy) {
    return std::make_pair(mul(dy, mask("broadcast_greater_equal", a, b)), mul(dy, mask("broadcast_lesser", a, b)));
  });
  set_binary_grad(r, "minimum", [](const Tensor& a, const Tensor& b, const Tensor&, const Tensor& dy) {
    return std::make_pair(mul(dy, mask("broadcast_lesser_equal", a, b)), mul(dy, mask("broadcast_greater", a, b)));
  });
  set_binary_grad(r, "hypot", [](const Tensor& a, const Tensor& b, const Tensor& y, const Tensor& dy) {
    return std::make_pair(mul(dy, div(a, y)), mul(dy, div(b, y)));
  });
  set_binary_grad(r, "mod", [](const Tensor& a, const Tensor& b, const Tensor&, const Tensor& dy) {
    return std::make_pair(dy, neg(mul(dy, call("floor", {div(a, b)}))));
  });
  for (const char* n : {"equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal", "logical_and",
                        "logical_or", "logical_xor"}) {
    set_no_grad(r, std::string("broadcast_") + n);
    set_no_grad(r, std::string("elemwise_") + n);
    set_no_grad(r, std::string("_") + n + "_scalar");
  }

  auto scalar_rule = [&r](const char* name, auto f) {
    r.def(name).set_grad([f](const OpAttrs& a, const std::vector<Tensor>& in, const std::vector<Tensor>& out,
                             const std::vector<Tensor>& og) {
      return std::vector<Tensor>{f(in[0], out[0], og[0], a.get_float("scalar"))};
    });
  };
  scalar_rule("_plus_scalar", [](const Tensor&, const Tensor&, const Tensor& dy, double) { return dy; });
  scalar_rule("_minus_scalar", [](const Tensor&, const Tensor&, const Tensor& dy, double) { return dy; });
  scalar_rule("_rminus_scalar", [](const Tensor&, const Tensor&, const Tensor& dy, double) { return neg(dy); });
  scalar_rule("_mul_scalar", [](const Tensor&, const Tensor&, const Tensor& dy, double s) { return scale(dy, s); });
  scalar_rule("_div_scalar",
              [](const Tensor&, const Tensor&, const Tensor& dy, double s) { return scale(dy, 1.0 / s); });
  scalar_rule("_rdiv_scalar",
              [](const Tensor& x, const Tensor& y, const Tensor& dy, double) { return neg(mul(dy, div(y, x))); });
  scalar_rule("_mod_scalar", [](const Tensor&, const Tensor&, const Tensor& dy, double) { return dy; });
  scalar_rule("_power_scalar", [](const Tensor& x, const Tensor&, const Tensor& dy, double s) {
    return mul(dy, scale(pow(x, s - 1.0), s));
  });
  scalar_rule("_rpower_scalar", [](const Tensor&, const Tensor& y, const Tensor& dy, double s) {
    return scale(mul(dy, y), std::log(s));
  });
  scalar_rule("_maximum_scalar", [](const Tensor& x, const Tensor&, const Tensor& dy, double s) {
    return mul(dy, call("_greater_equal_scalar", {x.detached()}, {{"scalar", s}}));
  });
  scalar_rule("_minimum_scalar", [](const Tensor& x, const Tensor&, const Tensor& dy, double s) {
    return mul(dy, call("_lesser_equal_scalar", {x.detached()}, {{"scalar", s}}));
  });
  scalar_rule("_hypot_scalar",
              [](const Tensor& x, const Tensor& y, const Tensor& dy, double) { return mul(dy, div(x, y)); });
}

}  // namespace

void register_binary_ops(Registry& r) {
  add_binary<Add>(r, "add", "sum", "broadcast_plus");
  add_binary<Sub>(r, "sub", "difference", "broadcast_minus");
  add_binary<Mul>(r, "mul", "product");
  add_binary<Div>(r, "div", "quotient");
  add_binary<Mod>(r, "mod", "modulo (the result has the divisor's sign)");
  add_binary<Pow>(r, "power", "power lhs ** rhs");
  add_binary<Maximum>(r, "maximum", "maximum");
  add_binary<Minimum>(r, "minimum", "minimum");
  add_binary<Hypot>(r, "hypot", "hypotenuse sqrt(lhs**2 + rhs**2)");
  add_binary<Equal>(r, "equal", "comparison lhs == rhs (1 or 0)");
  add_binary<NotEqual>(r, "not_equal", "comparison lhs != rhs (1 or 0)");
  add_binary<Greater>(r, "greater", "comparison lhs > rhs (1 or 0)");
  add_binary<GreaterEqual>(r, "greater_equal", "comparison lhs >= rhs (1 or 0)");
  add_binary<Lesser>(r, "lesser", "comparison lhs < rhs (1 or 0)");
  add_binary<LesserEqual>(r, "lesser_equal", "comparison lhs <= rhs (1 or 0)");
  add_binary<LogicalAnd>(r, "logical_and", "logical and (1 or 0)");
  add_binary<LogicalOr>(r, "logical_or", "logical or (1 or 0)");
  add_binary<LogicalXor>(r, "logical_xor", "logical xor (1 or 0)");

  add_scalar<Add>(r, "_plus_scalar", "data + scalar.");
  add_scalar<Sub>(r, "_minus_scalar", "data - scalar.");
  add_scalar<Reversed<Sub>>(r, "_rminus_scalar", "scalar - data.");
  add_scalar<Mul>(r, "_mul_scalar", "data * scalar.");
  add_scalar<Div>(r, "_div_scalar", "data / scalar.");
  add_scalar<Reversed<Div>>(r, "_rdiv_scalar", "scalar / data.");
  add_scalar<Mod>(r, "_mod_scalar", "data % scalar.");
  add_scalar<Reversed<Mod>>(r, "_rmod_scalar", "scalar % data.");
  add_scalar<Pow>(r, "_power_scalar", "data ** scalar.");
  add_scalar<Reversed<Pow>>(r, "_rpower_scalar", "scalar ** data.");
  add_scalar<Maximum>(r, "_maximum_scalar", "maximum(data, scalar).");
  add_scalar<Minimum>(r, "_minimum_scalar", "minimum(data, scalar).");
  add_scalar<Hypot>(r, "_hypot_scalar", "hypot(data, scalar).");
  add_scalar<Equal>(r, "_equal_scalar", "data == scalar (1 or 0).");
  add_scalar<NotEqual>(r, "_not_equal_scalar", "data != scalar (1 or 0).");
  add_scalar<Greater>(r, "_greater_scalar", "data > scalar (1 or 0).");
  add_scalar<GreaterEqual>(r, "_greater_equal_scalar", "data >= scalar (1 or 0).");
  add_scalar<Lesser>(r, "_lesser_scalar", "data < scalar (1 or 0).");
  add_scalar<LesserEqual>(r, "_lesser_equal_scalar", "data <= scalar (1 or 0).");
  add_scalar<LogicalAnd>(r, "_logical_and_scalar", "data and scalar (1 or 0).");
  add_scalar<LogicalOr>(r, "_logical_or_scalar", "data or scalar (1 or 0).");
  add_scalar<LogicalXor>(r, "_logical_xor_scalar", "data xor scalar (1 or 0).");
  register_binary_grads(r);
}

}  // namespace braid
