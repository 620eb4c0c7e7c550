#include "ops/registry.h"

#include "ops/all_ops.h"

namespace braid {

OpAttrs::OpAttrs(const OpDef* op) : op_(op) {
  values_.reserve(op->attrs.size());
  for (const AttrSpec& a : op->attrs)
    values_.push_back(a.dflt);
}

const AttrValue& OpAttrs::find(const char* name) const {
  const auto& specs = op_->attrs;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name)
      return values_[i];
  }
  fail(ErrorKind::kRuntime, "internal error: op '", op_->name, "' has no attribute '", name, "'");
}

int OpDef::attr_index(const std::string& n) const {
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (attrs[i].name == n)
      return static_cast<int>(i);
  }
  return -1;
}

namespace {

std::string tuple_repr(const std::vector<int64_t>& t) {
  std::string r = "(";
  for (size_t i = 0; i < t.size(); ++i) {
    if (i)
      r += ", ";
    r += std::to_string(t[i]);
  }
  if (t.size() == 1)
    r += ",";
  return r + ")";
}

std::string float_repr(double d) {
  std::string s = str_cat(d);
  if (s.find_first_of(".en") == std::string::npos)
    s += ".0";
  return s;
}

AttrSpec spec(const std::string& n, AttrKind k, const std::string& doc) {
  AttrSpec a;
  a.name = n;
  a.kind = k;
  a.doc = doc;
  return a;
}

}  // namespace

OpDef& OpDef::attr_int(const std::string& n, int64_t d, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kInt, doc);
  a.dflt.i = d;
  a.default_repr = std::to_string(d);
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_int_required(const std::string& n, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kInt, doc);
  a.required = true;
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_int_optional(const std::string& n, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kInt, doc);
  a.optional = true;
  a.dflt.none = true;
  a.default_repr = "None";
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_float(const std::string& n, double d, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kFloat, doc);
  a.dflt.f = d;
  a.default_repr = float_repr(d);
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_float_required(const std::string& n, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kFloat, doc);
  a.required = true;
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_float_optional(const std::string& n, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kFloat, doc);
  a.optional = true;
  a.dflt.none = true;
  a.default_repr = "None";
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_bool(const std::string& n, bool d, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kBool, doc);
  a.dflt.i = d;
  a.default_repr = d ? "True" : "False";
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_string_optional(const std::string& n, std::vector<std::string> choices, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kString, doc);
  a.optional = true;
  a.dflt.none = true;
  a.default_repr = "None";
  a.choices = std::move(choices);
  attrs.push_back(a);
  return *this;
}

OpDef& OpDef::attr_string(const std::string& n, const std::string& d, std::vector<std::string> choices,
                          const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kString, doc);
  a.dflt.s = d;
  a.default_repr = "'" + d + "'";
  a.choices = std::move(choices);
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_tuple(const std::string& n, std::vector<int64_t> d, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kTuple, doc);
  a.default_repr = tuple_repr(d);
  a.dflt.tuple = std::move(d);
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_tuple_required(const std::string& n, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kTuple, doc);
  a.required = true;
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_tuple_optional(const std::string& n, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kTuple, doc);
  a.optional = true;
  a.dflt.none = true;
  a.default_repr = "None";
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_dtype(const std::string& n, DType d, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kDType, doc);
  a.dflt.i = static_cast<int64_t>(d);
  a.default_repr = std::string("'") + dtype_name(d) + "'";
  attrs.push_back(a);
  return *this;
}
OpDef& OpDef::attr_dtype_optional(const std::string& n, const std::string& doc) {
  AttrSpec a = spec(n, AttrKind::kDType, doc);
  a.optional = true;
  a.dflt.none = true;
  a.default_repr = "None";
  attrs.push_back(a);
  return *this;
}

Registry::Registry() = default;

Registry& Registry::get() {
  static Registry* r = [] {
    auto* reg = new Registry();
    register_init_ops(*reg);
    register_random_ops(*reg);
    register_binary_ops(*reg);
    register_unary_ops(*reg);
    register_reduce_ops(*reg);
    register_linalg_ops(*reg);
    register_shape_ops(*reg);
    register_index_ops(*reg);
    register_cast_ops(*reg);
    register_nn_basic_ops(*reg);
    register_conv_ops(*reg);
    register_pool_ops(*reg);
    register_norm_ops(*reg);
    register_optimizer_ops(*reg);
    register_optimizer_multi_ops(*reg);
    register_param_shape_rules(*reg);  // after the ops it extends
    reg->index_aliases();
    return reg;
  }();
  return *r;
}

OpDef& Registry::add(const std::string& name) {
  BRAID_CHECK(!by_name_.count(name), kRuntime, "internal error: op '", name, "' registered twice");
  auto* op = new OpDef();
  op->name = name;
  ops_.push_back(op);
  by_name_[name] = op;
  return *op;
}

void Registry::index_aliases() {
  for (OpDef* op : ops_) {
    for (const std::string& a : op->aliases) {
      BRAID_CHECK(!by_name_.count(a), kRuntime, "internal error: alias '", a, "' of op '", op->name,
                  "' is already taken");
      by_name_[a] = op;
    }
  }
}

const OpDef* Registry::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

OpDef& Registry::def(const std::string& name) {
  auto it = by_name_.find(name);
  BRAID_CHECK(it != by_name_.end(), kRuntime, "internal error: op '", name, "' is not registered yet");
  return *it->second;
}

const OpDef& Registry::at(const std::string& name) const {
  const OpDef* op = find(name);
  BRAID_CHECK(op, kValue, "unknown operator '", name, "'");
  return *op;
}

}  // namespace braid
