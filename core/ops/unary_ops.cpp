// Unary elementwise math. Ops that only make sense on reals (exp, log, sin, ...) return float32 for integer
// inputs, as PyTorch does; the rest keep the input dtype.
#include <cmath>
#include <type_traits>

#include "ops/grad_util.h"
#include "ops/kernel_util.h"

namespace braid {

namespace {

enum class Result { kSame, kFloat };  // output dtype policy for integer inputs

// The output dtype follows from the input dtype and the policy, so only the input is dispatched.
template <Result P, typename F>
void unary_kernel(const Tensor& in, const Tensor& out, F f) {
  dispatch_dtype(in.dtype(), [&](auto ti) {
    using TI = typename decltype(ti)::type;
    constexpr bool to_float = P == Result::kFloat && !std::is_floating_point<compute_t<TI>>::value;
    using TO = typename std::conditional<to_float, float, TI>::type;
    using C = compute_t<TO>;
    map_unary<TO, TI>(out, in, [&f](compute_t<TI> x) { return f(static_cast<C>(x)); });
  });
}

DType result_dtype(DType in, Result policy) {
  if (policy == Result::kFloat && !dtype_is_float(in))
    return DType::kFloat32;
  return in;
}

// Declares an op whose kernel applies a generic lambda (taking the compute type) to every element.
#define BRAID_UNARY(NAME, POLICY, DOC, EXPR)                                                                         \
  r.add(NAME)                                                                                                        \
      .describe(DOC)                                                                                                 \
      .inputs({"data"})                                                                                              \
      .inplace()                                                                                                     \
      .set_infer([](const OpAttrs&, const std::vector<TensorMeta>& in, std::vector<TensorMeta>* out) {               \
        (*out)[0].shape = in[0].shape;                                                                               \
        (*out)[0].dtype = result_dtype(in[0].dtype, POLICY);                                                         \
      })                                                                                                             \
      .set_cpu([](const OpContext&, const OpAttrs&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) { \
        unary_kernel<POLICY>(in[0], out[0], [](auto x) { return EXPR; });                                            \
      })

template <typename C>
C sign_of(C x) {
  return static_cast<C>((C(0) < x) - (x < C(0)));
}

// Gradient rules, f(x, y, dy) -> dx, each in terms of registered ops.
void register_unary_grads(Registry& r) {
  using namespace g;
  auto rule = [&r](const char* name, auto f) { r.def(name).set_grad(unary(f)); };
  using T = const Tensor&;
  rule("negative", [](T, T, T dy) { return neg(dy); });
  rule("abs", [](T x, T, T dy) { return mul(dy, call("sign", {x.detached()})); });
  rule("square", [](T x, T, T dy) { return mul(dy, scale(x, 2.0)); });
  rule("reciprocal", [](T x, T, T dy) { return neg(div(dy, mul(x, x))); });
  rule("sqrt", [](T, T y, T dy) { return div(dy, scale(y, 2.0)); });
  rule("rsqrt", [](T x, T, T dy) { return mul(dy, scale(pow(x, -1.5), -0.5)); });
  rule("cbrt", [](T x, T, T dy) { return mul(dy, scale(pow(x, -2.0 / 3.0), 1.0 / 3.0)); });
  rule("exp", [](T x, T, T dy) { return mul(dy, call("exp", {x})); });
  rule("expm1", [](T x, T, T dy) { return mul(dy, call("exp", {x})); });
  rule("log", [](T x, T, T dy) { return div(dy, x); });
  rule("log1p", [](T x, T, T dy) { return div(dy, plus(x, 1.0)); });
  rule("log2", [](T x, T, T dy) { return div(dy, scale(x, 0.6931471805599453)); });
  rule("log10", [](T x, T, T dy) { return div(dy, scale(x, 2.302585092994046)); });
  rule("sin", [](T x, T, T dy) { return mul(dy, call("cos", {x})); });
  rule("cos", [](T x, T, T dy) { return neg(mul(dy, call("sin", {x}))); });
  rule("tan", [](T x, T, T dy) { return div(dy, call("square", {call("cos", {x})})); });
  rule("arcsin", [](T x, T, T dy) { return mul(dy, call("rsqrt", {rsub(1.0, mul(x, x))})); });
  rule("arccos", [](T x, T, T dy) { return neg(mul(dy, call("rsqrt", {rsub(1.0, mul(x, x))}))); });
  rule("arctan", [](T x, T, T dy) { return div(dy, plus(mul(x, x), 1.0)); });
  rule("sinh", [](T x, T, T dy) { return mul(dy, call("cosh", {x})); });
  rule("cosh", [](T x, T, T dy) { return mul(dy, call("sinh", {x})); });
  rule("tanh", [](T x, T, T dy) { return mul(dy, rsub(1.0, call("square", {call("tanh", {x})}))); });
  rule("arcsinh", [](T x, T, T dy) { return mul(dy, call("rsqrt", {plus(mul(x, x), 1.0)})); });
  rule("arccosh", [](T x, T, T dy) { return mul(dy, call("rsqrt", {plus(mul(x, x), -1.0)})); });
  rule("arctanh", [](T x, T, T dy) { return div(dy, rsub(1.0, mul(x, x))); });
  rule("sigmoid", [](T x, T, T dy) {
    Tensor s = call("sigmoid", {x});
    return mul(dy, mul(s, rsub(1.0, s)));
  });
  rule("relu", [](T x, T, T dy) { return mul(dy, call("_greater_scalar", {x.detached()}, {{"scalar", 0.0}})); });
  rule("softsign", [](T x, T, T dy) { return div(dy, call("square", {plus(call("abs", {x}), 1.0)})); });
  rule("erf", [](T x, T, T dy) {
    return mul(dy, scale(call("exp", {neg(mul(x, x))}), 1.1283791670955126));  // 2 / sqrt(pi)
  });
  rule("degrees", [](T, T, T dy) { return scale(dy, 57.29577951308232); });
  rule("radians", [](T, T, T dy) { return scale(dy, 0.017453292519943295); });
  // Piecewise constant: zero gradient almost everywhere.
  for (const char* name :
       {"sign", "floor", "ceil", "trunc", "round", "rint", "fix", "logical_not", "isnan", "isinf", "isfinite"}) {
    rule(name, [](T x, T, T) { return zeros_like(x); });
  }
  r.def("clip").set_grad(
      [](const OpAttrs& a, const std::vector<Tensor>& in, const std::vector<Tensor>&, const std::vector<Tensor>& og) {
        Tensor x = in[0].detached();
        Tensor inside = mul(call("_greater_equal_scalar", {x}, {{"scalar", a.get_float("a_min")}}),
                            call("_lesser_equal_scalar", {x}, {{"scalar", a.get_float("a_max")}}));
        return std::vector<Tensor>{mul(og[0], inside)};
      });
}

}  // namespace

void register_unary_ops(Registry& r) {
  BRAID_UNARY("negative", Result::kSame, "Numerical negative, -x.", static_cast<decltype(x)>(-x));
  BRAID_UNARY("abs", Result::kSame, "Absolute value.", x < decltype(x)(0) ? static_cast<decltype(x)>(-x) : x);
  BRAID_UNARY("sign", Result::kSame, "Sign: -1, 0 or 1.", sign_of(x));
  BRAID_UNARY("square", Result::kSame, "x * x.", static_cast<decltype(x)>(x * x));
  BRAID_UNARY("reciprocal", Result::kFloat, "1 / x.", decltype(x)(1) / x);
  BRAID_UNARY("sqrt", Result::kFloat, "Square root.", std::sqrt(x));
  BRAID_UNARY("rsqrt", Result::kFloat, "1 / sqrt(x).", decltype(x)(1) / std::sqrt(x));
  BRAID_UNARY("cbrt", Result::kFloat, "Cube root.", std::cbrt(x));
  BRAID_UNARY("exp", Result::kFloat, "e ** x.", std::exp(x));
  BRAID_UNARY("expm1", Result::kFloat, "exp(x) - 1, accurate near 0.", std::expm1(x));
  BRAID_UNARY("log", Result::kFloat, "Natural logarithm.", std::log(x));
  BRAID_UNARY("log1p", Result::kFloat, "log(1 + x), accurate near 0.", std::log1p(x));
  BRAID_UNARY("log2", Result::kFloat, "Base-2 logarithm.", std::log2(x));
  BRAID_UNARY("log10", Result::kFloat, "Base-10 logarithm.", std::log10(x));
  BRAID_UNARY("sin", Result::kFloat, "Sine.", std::sin(x));
  BRAID_UNARY("cos", Result::kFloat, "Cosine.", std::cos(x));
  BRAID_UNARY("tan", Result::kFloat, "Tangent.", std::tan(x));
  BRAID_UNARY("arcsin", Result::kFloat, "Inverse sine.", std::asin(x));
  BRAID_UNARY("arccos", Result::kFloat, "Inverse cosine.", std::acos(x));
  BRAID_UNARY("arctan", Result::kFloat, "Inverse tangent.", std::atan(x));
  BRAID_UNARY("sinh", Result::kFloat, "Hyperbolic sine.", std::sinh(x));
  BRAID_UNARY("cosh", Result::kFloat, "Hyperbolic cosine.", std::cosh(x));
  BRAID_UNARY("tanh", Result::kFloat, "Hyperbolic tangent.", std::tanh(x));
  BRAID_UNARY("arcsinh", Result::kFloat, "Inverse hyperbolic sine.", std::asinh(x));
  BRAID_UNARY("arccosh", Result::kFloat, "Inverse hyperbolic cosine.", std::acosh(x));
  BRAID_UNARY("arctanh", Result::kFloat, "Inverse hyperbolic tangent.", std::atanh(x));
  BRAID_UNARY("sigmoid", Result::kFloat, "Logistic sigmoid 1 / (1 + exp(-x)).",
              decltype(x)(1) / (decltype(x)(1) + std::exp(-x)));
  BRAID_UNARY("relu", Result::kSame, "Rectified linear unit max(x, 0).", x > decltype(x)(0) ? x : decltype(x)(0));
  BRAID_UNARY("softsign", Result::kFloat, "x / (1 + |x|).", x / (decltype(x)(1) + std::abs(x)));
  BRAID_UNARY("erf", Result::kFloat, "Gauss error function.", std::erf(x));
  BRAID_UNARY("gamma", Result::kFloat, "Gamma function.", std::tgamma(x));
  BRAID_UNARY("gammaln", Result::kFloat, "Log of the absolute gamma function.", std::lgamma(x));
  BRAID_UNARY("degrees", Result::kFloat, "Radians to degrees.", x * decltype(x)(57.29577951308232));
  BRAID_UNARY("radians", Result::kFloat, "Degrees to radians.", x * decltype(x)(0.017453292519943295));
  BRAID_UNARY("floor", Result::kSame, "Largest integer <= x.", static_cast<decltype(x)>(std::floor(x)));
  BRAID_UNARY("ceil", Result::kSame, "Smallest integer >= x.", static_cast<decltype(x)>(std::ceil(x)));
  BRAID_UNARY("trunc", Result::kSame, "Integer part of x, towards zero.", static_cast<decltype(x)>(std::trunc(x)));
  BRAID_UNARY("round", Result::kSame, "Round half away from zero.", static_cast<decltype(x)>(std::round(x)));
  BRAID_UNARY("rint", Result::kSame, "Round half to even.", static_cast<decltype(x)>(std::nearbyint(x)));
  BRAID_UNARY("fix", Result::kSame, "Round towards zero.", static_cast<decltype(x)>(std::trunc(x)));
  BRAID_UNARY("logical_not", Result::kSame, "1 where x is 0, else 0.", static_cast<decltype(x)>(x == decltype(x)(0)));
  BRAID_UNARY("isnan", Result::kSame, "1 where x is NaN.",
              static_cast<decltype(x)>(std::isnan(static_cast<double>(x))));
  BRAID_UNARY("isinf", Result::kSame, "1 where x is infinite.",
              static_cast<decltype(x)>(std::isinf(static_cast<double>(x))));
  BRAID_UNARY("isfinite", Result::kSame, "1 where x is finite.",
              static_cast<decltype(x)>(std::isfinite(static_cast<double>(x))));

  r.add("clip")
      .describe("Clips values to [a_min, a_max].")
      .inputs({"data"})
      .attr_float_required("a_min", "lower bound")
      .attr_float_required("a_max", "upper bound")
      .set_infer([](const OpAttrs& a, const std::vector<TensorMeta>& in, std::vector<TensorMeta>* out) {
        BRAID_CHECK(a.get_float("a_min") <= a.get_float("a_max"), kValue, "clip: a_min (", a.get_float("a_min"),
                    ") must not exceed a_max (", a.get_float("a_max"), ")");
        (*out)[0] = in[0];
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        const double lo = a.get_float("a_min"), hi = a.get_float("a_max");
        unary_kernel<Result::kSame>(in[0], out[0], [lo, hi](auto x) {
          using C = decltype(x);
          const C l = static_cast<C>(lo), h = static_cast<C>(hi);
          return x < l ? l : (x > h ? h : x);
        });
      });
  register_unary_grads(r);
}

#undef BRAID_UNARY

}  // namespace braid
