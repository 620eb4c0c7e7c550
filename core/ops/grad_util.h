// Short names for the arithmetic that gradient rules are written in. Each is one registered op (op_call.h),
// so a rule built from them runs on every backend and is itself differentiable.
#pragma once
#include "ops/op_call.h"

namespace braid::g {

inline Tensor add(const Tensor& a, const Tensor& b) {
  return call("broadcast_add", {a, b});
}
inline Tensor sub(const Tensor& a, const Tensor& b) {
  return call("broadcast_sub", {a, b});
}
inline Tensor mul(const Tensor& a, const Tensor& b) {
  return call("broadcast_mul", {a, b});
}
inline Tensor div(const Tensor& a, const Tensor& b) {
  return call("broadcast_div", {a, b});
}
inline Tensor neg(const Tensor& a) {
  return call("negative", {a});
}
inline Tensor scale(const Tensor& a, double s) {
  return call("_mul_scalar", {a}, {{"scalar", s}});
}
inline Tensor plus(const Tensor& a, double s) {
  return call("_plus_scalar", {a}, {{"scalar", s}});
}
inline Tensor rsub(double s, const Tensor& a) {
  return call("_rminus_scalar", {a}, {{"scalar", s}});
}
inline Tensor pow(const Tensor& a, double s) {
  return call("_power_scalar", {a}, {{"scalar", s}});
}
inline Tensor zeros_like(const Tensor& a) {
  return call("zeros_like", {a.detached()});
}
inline Tensor reshape(const Tensor& a, const Shape& s) {
  return call("reshape", {a}, {{"shape", std::vector<int64_t>(s.begin(), s.end())}});
}
// 1 where the comparison holds, 0 elsewhere, in a's dtype (MXNet comparison semantics); no gradient flows.
inline Tensor mask(const char* cmp_op, const Tensor& a, const Tensor& b) {
  return call(cmp_op, {a.detached(), b.detached()});
}

// Wraps a rule for a one-input op given as f(x, y, dy) -> dx.
template <typename F>
GradFn unary(F f) {
  return [f](const OpAttrs&, const std::vector<Tensor>& in, const std::vector<Tensor>& out,
             const std::vector<Tensor>& og) { return std::vector<Tensor>{f(in[0], out[0], og[0])}; };
}

}  // namespace braid::g
