// The operator registry through the C ABI: listing with metadata, and invocation with packed attributes.
#include "api_common.h"
#include "ops/invoke.h"

using namespace braid;

struct braid_op_t {};  // braid_op handles point at braid::OpDef; this tag type is never instantiated

namespace {

const OpDef& op_of(braid_op op, const char* fn) {
  BRAID_CHECK(op != nullptr, kValue, fn, ": op handle is NULL");
  return *reinterpret_cast<const OpDef*>(op);
}

braid_op handle_of(const OpDef* op) {
  return reinterpret_cast<braid_op>(op);
}

OpAttrs unpack_attrs(const OpDef& op, int32_t num_attrs, const braid_attr* attrs) {
  OpAttrs a(&op);
  BRAID_CHECK(num_attrs == 0 || attrs != nullptr, kValue, op.name, ": attrs is NULL");
  std::vector<bool> given(op.attrs.size(), false);
  for (int32_t k = 0; k < num_attrs; ++k) {
    const braid_attr& x = attrs[k];
    switch (x.kind) {
      case BRAID_ATTR_INT:
        set_attr_int(a, x.index, x.i);
        break;
      case BRAID_ATTR_FLOAT:
        set_attr_float(a, x.index, x.f);
        break;
      case BRAID_ATTR_BOOL:
        set_attr_bool(a, x.index, x.i != 0);
        break;
      case BRAID_ATTR_STRING:
        BRAID_CHECK(x.s != nullptr, kValue, op.name, ": string attribute value is NULL");
        set_attr_string(a, x.index, x.s);
        break;
      case BRAID_ATTR_TUPLE:
        BRAID_CHECK(x.tuple_len >= 0 && (x.tuple_len == 0 || x.tuple), kValue, op.name, ": bad tuple attribute");
        set_attr_tuple(a, x.index, x.tuple, x.tuple_len);
        break;
      case BRAID_ATTR_DTYPE:
        set_attr_dtype(a, x.index, static_cast<int32_t>(x.i));
        break;
      case BRAID_ATTR_NONE:
        set_attr_none(a, x.index);
        break;
      default:
        fail(ErrorKind::kValue, op.name, ": unknown attribute kind ", x.kind);
    }
    given[x.index] = true;
  }
  check_required_attrs(a, given);
  return a;
}

std::vector<Tensor> unpack_inputs(const OpDef& op, int32_t n, const braid_array* in) {
  BRAID_CHECK(n >= 0 && (n == 0 || in != nullptr), kValue, op.name, ": inputs is NULL");
  std::vector<Tensor> v;
  v.reserve(n);
  for (int32_t i = 0; i < n; ++i) {
    BRAID_CHECK(in[i] != nullptr, kValue, op.name, ": input ", i, " is NULL");
    v.push_back(in[i]->t);
  }
  return v;
}

}  // namespace

int braid_op_count(int32_t* n) {
  return guarded([&] {
    check_out(n, "braid_op_count", "n");
    *n = static_cast<int32_t>(Registry::get().ops().size());
  });
}

int braid_op_at(int32_t index, braid_op* out) {
  return guarded([&] {
    check_out(out, "braid_op_at", "out");
    const auto& ops = Registry::get().ops();
    BRAID_CHECK(index >= 0 && index < static_cast<int32_t>(ops.size()), kIndex, "op_at: index ", index,
                " is out of range (", ops.size(), " ops)");
    *out = handle_of(ops[index]);
  });
}

int braid_op_find(const char* name, braid_op* out) {
  return guarded([&] {
    check_out(out, "braid_op_find", "out");
    BRAID_CHECK(name != nullptr, kValue, "op_find: name is NULL");
    *out = handle_of(&Registry::get().at(name));
  });
}

int braid_op_get_info(braid_op op, const char** name, const char** doc, int32_t* num_inputs, int32_t* num_outputs,
                      int32_t* num_attrs, int32_t* num_aliases) {
  return guarded([&] {
    const OpDef& d = op_of(op, "op_get_info");
    if (name)
      *name = d.name.c_str();
    if (doc)
      *doc = d.doc.c_str();
    if (num_inputs)
      *num_inputs = d.num_inputs();
    if (num_outputs)
      *num_outputs = d.num_outputs_fn ? -1 : d.num_outputs;
    if (num_attrs)
      *num_attrs = static_cast<int32_t>(d.attrs.size());
    if (num_aliases)
      *num_aliases = static_cast<int32_t>(d.aliases.size());
  });
}

int braid_op_input_name(braid_op op, int32_t index, const char** name) {
  return guarded([&] {
    const OpDef& d = op_of(op, "op_input_name");
    check_out(name, "braid_op_input_name", "name");
    BRAID_CHECK(index >= 0 && index < static_cast<int32_t>(d.input_names.size()), kIndex, d.name, ": input index ",
                index, " is out of range");
    *name = d.input_names[index].c_str();
  });
}

int braid_op_num_optional_inputs(braid_op op, int32_t* n) {
  return guarded([&] {
    const OpDef& d = op_of(op, "op_num_optional_inputs");
    check_out(n, "braid_op_num_optional_inputs", "n");
    *n = d.num_optional_inputs;
  });
}

int braid_op_alias(braid_op op, int32_t index, const char** alias) {
  return guarded([&] {
    const OpDef& d = op_of(op, "op_alias");
    check_out(alias, "braid_op_alias", "alias");
    BRAID_CHECK(index >= 0 && index < static_cast<int32_t>(d.aliases.size()), kIndex, d.name, ": alias index ", index,
                " is out of range");
    *alias = d.aliases[index].c_str();
  });
}

int braid_op_attr_info(braid_op op, int32_t index, const char** name, int32_t* kind, int32_t* optional,
                       int32_t* required, const char** default_repr, const char** choices, const char** doc) {
  return guarded([&] {
    const OpDef& d = op_of(op, "op_attr_info");
    BRAID_CHECK(index >= 0 && index < static_cast<int32_t>(d.attrs.size()), kIndex, d.name, ": attribute index ", index,
                " is out of range");
    const AttrSpec& a = d.attrs[index];
    if (name)
      *name = a.name.c_str();
    if (kind)
      *kind = static_cast<int32_t>(a.kind);
    if (optional)
      *optional = a.optional;
    if (required)
      *required = a.required;
    if (default_repr)
      *default_repr = a.default_repr.c_str();
    if (choices) {
      // Joined once and cached on the spec's lifetime (the registry is never destroyed).
      static thread_local std::string joined;
      joined.clear();
      for (size_t i = 0; i < a.choices.size(); ++i)
        joined += (i ? "|" : "") + a.choices[i];
      *choices = joined.c_str();
    }
    if (doc)
      *doc = a.doc.c_str();
  });
}

int braid_op_invoke(braid_op op, int32_t num_inputs, const braid_array* inputs, int32_t num_attrs,
                    const braid_attr* attrs, int32_t dev_type, int32_t dev_id, int32_t max_outputs,
                    int32_t* num_outputs, braid_array* outputs) {
  return guarded([&] {
    const OpDef& d = op_of(op, "op_invoke");
    check_out(num_outputs, "braid_op_invoke", "num_outputs");
    OpAttrs a = unpack_attrs(d, num_attrs, attrs);
    const int n_out = d.output_count(a);
    BRAID_CHECK(max_outputs >= n_out && outputs != nullptr, kValue, d.name, ": room for ", max_outputs,
                " outputs, the op has ", n_out);
    Context ctx = num_inputs == 0 ? make_context(dev_type, dev_id, d.name.c_str()) : Context::cpu();
    std::vector<Tensor> res = invoke(d, unpack_inputs(d, num_inputs, inputs), std::move(a), ctx);
    for (size_t i = 0; i < res.size(); ++i)
      outputs[i] = new_handle(std::move(res[i]));
    *num_outputs = static_cast<int32_t>(res.size());
  });
}

int braid_op_invoke_into(braid_op op, int32_t num_inputs, const braid_array* inputs, int32_t num_attrs,
                         const braid_attr* attrs, int32_t num_outputs, const braid_array* outputs) {
  return guarded([&] {
    const OpDef& d = op_of(op, "op_invoke_into");
    std::vector<Tensor> outs = unpack_inputs(d, num_outputs, outputs);
    BRAID_CHECK(!outs.empty(), kValue, d.name, ": no output arrays given");
    invoke(d, unpack_inputs(d, num_inputs, inputs), unpack_attrs(d, num_attrs, attrs), outs[0].ctx(), outs);
  });
}

int braid_op_call(braid_op op, braid_array a, braid_array b, braid_array* out) {
  return guarded([&] {
    const OpDef& d = op_of(op, "op_call");
    check_out(out, "braid_op_call", "out");
    std::vector<Tensor> in;
    in.reserve(2);
    in.push_back(tensor_of(a, d.name.c_str(), "input 0"));
    if (b)
      in.push_back(b->t);
    std::vector<Tensor> res = invoke(d, std::move(in), OpAttrs(&d), Context::cpu());
    BRAID_CHECK(res.size() == 1, kValue, d.name, ": braid_op_call needs a single-output op");
    *out = new_handle(std::move(res[0]));
  });
}

int braid_op_call_scalar(braid_op op, braid_array a, double scalar, braid_array* out) {
  return guarded([&] {
    const OpDef& d = op_of(op, "op_call_scalar");
    check_out(out, "braid_op_call_scalar", "out");
    OpAttrs attrs(&d);
    set_attr_float(attrs, 0, scalar);
    std::vector<Tensor> res = invoke(d, {tensor_of(a, d.name.c_str(), "input 0")}, std::move(attrs), Context::cpu());
    BRAID_CHECK(res.size() == 1, kValue, d.name, ": braid_op_call_scalar needs a single-output op");
    *out = new_handle(std::move(res[0]));
  });
}
