// Calling registered ops from C++ by name, for gradient rules and composite ops:
//   Tensor y = call("broadcast_mul", {g, x});
//   Tensor s = call("sum", {g}, {{"axis", std::vector<int64_t>{0}}, {"keepdims", true}});
// Attribute values are typed C++ values, validated exactly like values coming through the C ABI.
#pragma once
#include <initializer_list>
#include <string>
#include <vector>

#include "ops/registry.h"

namespace braid {

struct AttrArg {
  enum class Kind { kInt, kFloat, kBool, kString, kTuple, kDType, kNone };
  const char* name;
  Kind kind;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> tuple;

  AttrArg(const char* n, int v) : name(n), kind(Kind::kInt), i(v) {}
  AttrArg(const char* n, int64_t v) : name(n), kind(Kind::kInt), i(v) {}
  AttrArg(const char* n, double v) : name(n), kind(Kind::kFloat), f(v) {}
  AttrArg(const char* n, bool v) : name(n), kind(Kind::kBool), i(v) {}
  AttrArg(const char* n, const char* v) : name(n), kind(Kind::kString), s(v) {}
  AttrArg(const char* n, std::vector<int64_t> v) : name(n), kind(Kind::kTuple), tuple(std::move(v)) {}
  AttrArg(const char* n, DType v) : name(n), kind(Kind::kDType), i(static_cast<int64_t>(v)) {}
  AttrArg(const char* n, std::nullptr_t) : name(n), kind(Kind::kNone) {}
};

// Builds validated attributes for op from named values (unknown names are an error).
OpAttrs make_attrs(const OpDef& op, std::initializer_list<AttrArg> attrs);
// Runs the op (on its inputs' device; ctx only for ops without inputs) and returns its outputs.
std::vector<Tensor> call_op(const std::string& name, std::vector<Tensor> in, std::initializer_list<AttrArg> attrs = {},
                            Context ctx = Context::cpu());
// The single output of call_op.
Tensor call(const std::string& name, std::vector<Tensor> in, std::initializer_list<AttrArg> attrs = {},
            Context ctx = Context::cpu());

// Sums a gradient of a broadcast result back to the shape of the operand that was broadcast (numpy rules).
Tensor sum_to_shape(const Tensor& grad, const Shape& shape);

}  // namespace braid
