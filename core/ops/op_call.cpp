#include "ops/op_call.h"

#include "ops/invoke.h"

namespace braid {

OpAttrs make_attrs(const OpDef& op, std::initializer_list<AttrArg> attrs) {
  OpAttrs a(&op);
  std::vector<bool> given(op.attrs.size(), false);
  for (const AttrArg& x : attrs) {
    int idx = op.attr_index(x.name);
    BRAID_CHECK(idx >= 0, kValue, op.name, ": unknown attribute '", x.name, "'");
    switch (x.kind) {
      case AttrArg::Kind::kInt:
        set_attr_int(a, idx, x.i);
        break;
      case AttrArg::Kind::kFloat:
        set_attr_float(a, idx, x.f);
        break;
      case AttrArg::Kind::kBool:
        set_attr_bool(a, idx, x.i != 0);
        break;
      case AttrArg::Kind::kString:
        set_attr_string(a, idx, x.s.c_str());
        break;
      case AttrArg::Kind::kTuple:
        set_attr_tuple(a, idx, x.tuple.data(), static_cast<int64_t>(x.tuple.size()));
        break;
      case AttrArg::Kind::kDType:
        set_attr_dtype(a, idx, static_cast<int32_t>(x.i));
        break;
      case AttrArg::Kind::kNone:
        set_attr_none(a, idx);
        break;
    }
    given[idx] = true;
  }
  check_required_attrs(a, given);
  return a;
}

std::vector<Tensor> call_op(const std::string& name, std::vector<Tensor> in, std::initializer_list<AttrArg> attrs,
                            Context ctx) {
  const OpDef& op = Registry::get().at(name);
  OpAttrs a = make_attrs(op, attrs);
  return invoke(op, std::move(in), std::move(a), ctx);
}

Tensor call(const std::string& name, std::vector<Tensor> in, std::initializer_list<AttrArg> attrs, Context ctx) {
  std::vector<Tensor> out = call_op(name, std::move(in), attrs, ctx);
  BRAID_CHECK(out.size() == 1, kRuntime, "internal error: call(\"", name, "\") expects one output, the op has ",
              out.size());
  return out[0];
}

Tensor sum_to_shape(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape)
    return grad;
  const int nd = grad.ndim(), lead = nd - static_cast<int>(shape.size());
  std::vector<int64_t> axes;
  for (int d = 0; d < nd; ++d) {
    if (d < lead || (shape[d - lead] == 1 && grad.dim(d) != 1))
      axes.push_back(d);
  }
  Tensor s = axes.empty() ? grad : call("sum", {grad}, {{"axis", axes}, {"keepdims", true}});
  return call("reshape", {s}, {{"shape", std::vector<int64_t>(shape.begin(), shape.end())}});
}

}  // namespace braid
