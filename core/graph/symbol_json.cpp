// MXNet's graph file format (-symbol.json): nodes in topological order, arg_nodes, node_row_ptr, heads.
#include <unordered_map>

#include "graph/attr_string.h"
#include "graph/json.h"
#include "graph/symbol.h"
#include "ops/invoke.h"

namespace braid {

namespace {

constexpr int kMXNetVersion = 10901;  // 1.9.1: MXNet applies no legacy upgrade pass to such files

bool is_hidden_attr(const std::string& k) {
  return k.size() > 4 && k.compare(0, 2, "__") == 0 && k.compare(k.size() - 2, 2, "__") == 0;
}

// MXNet attributes that only tune its own kernels; accepted and dropped when the op here does not declare them.
bool is_tuning_attr(const std::string& k) {
  return k == "workspace" || k == "cudnn_tune" || k == "cudnn_off" || k == "ctx" || k == "__profiler_scope__";
}

void write_entry(std::string* out, size_t node, uint32_t index) {
  *out += "[" + std::to_string(node) + ", " + std::to_string(index) + ", 0]";
}

const json::Value& member(const json::Value& obj, const char* key, const std::string& where) {
  const json::Value* v = obj.get(key);
  BRAID_CHECK(v != nullptr, kIO, "symbol JSON: ", where, " has no '", key, "'");
  return *v;
}

uint32_t to_index(const json::Value& v, const std::string& where) {
  BRAID_CHECK(
      v.is_number() && v.num >= 0 && v.num < 4294967296.0 && v.num == static_cast<double>(static_cast<int64_t>(v.num)),
      kIO, "symbol JSON: ", where, " is not a valid index");
  return static_cast<uint32_t>(v.num);
}

NodeEntry read_entry(const json::Value& e, const std::vector<NodePtr>& nodes, size_t limit, size_t total,
                     const std::string& where) {
  BRAID_CHECK(e.is_array() && e.arr.size() >= 2 && e.arr.size() <= 3, kIO, "symbol JSON: ", where,
              " must be [node, output, version]");
  uint32_t id = to_index(e.arr[0], where);
  uint32_t idx = to_index(e.arr[1], where);
  BRAID_CHECK(id < limit, kIO, "symbol JSON: ", where, " refers to node ", id,
              id < total ? " which does not come earlier (a cycle or a forward reference)" : " which does not exist");
  const Node& src = *nodes[id];
  BRAID_CHECK(static_cast<int>(idx) < src.num_outputs(), kIO, "symbol JSON: ", where, " uses output ", idx,
              " of node '", src.name, "', which has ", src.num_outputs(), " output(s)");
  return {nodes[id], idx};
}

}  // namespace

std::string Symbol::to_json() const {
  std::vector<NodePtr> topo = topo_order();
  std::unordered_map<const Node*, size_t> id;
  for (size_t i = 0; i < topo.size(); ++i)
    id[topo[i].get()] = i;
  std::string out = "{\n  \"nodes\": [";
  std::vector<size_t> args;
  std::vector<size_t> row_ptr{0};
  for (size_t i = 0; i < topo.size(); ++i) {
    const Node& n = *topo[i];
    out += i ? ",\n    {\n" : "\n    {\n";
    out += "      \"op\": ";
    json::write_string(&out, n.op ? n.op->name : "null");
    out += ",\n      \"name\": ";
    json::write_string(&out, n.name);
    if (!n.str_attrs.empty()) {
      out += ",\n      \"attrs\": {";
      for (size_t k = 0; k < n.str_attrs.size(); ++k) {
        out += k ? ", " : "";
        json::write_string(&out, n.str_attrs[k].first);
        out += ": ";
        json::write_string(&out, n.str_attrs[k].second);
      }
      out += "}";
    }
    out += ",\n      \"inputs\": [";
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      out += k ? ", " : "";
      write_entry(&out, id.at(n.inputs[k].node.get()), n.inputs[k].index);
    }
    out += "]\n    }";
    if (n.is_variable())
      args.push_back(i);
    row_ptr.push_back(row_ptr.back() + static_cast<size_t>(n.num_outputs()));
  }
  auto list = [&](const std::vector<size_t>& v) {
    std::string s = "[";
    for (size_t k = 0; k < v.size(); ++k)
      s += (k ? ", " : "") + std::to_string(v[k]);
    return s + "]";
  };
  out += "\n  ],\n  \"arg_nodes\": " + list(args) + ",\n  \"node_row_ptr\": " + list(row_ptr) + ",\n  \"heads\": [";
  for (size_t k = 0; k < outputs.size(); ++k) {
    out += k ? ", " : "";
    write_entry(&out, id.at(outputs[k].node.get()), outputs[k].index);
  }
  out += "],\n  \"attrs\": {\"mxnet_version\": [\"int\", " + std::to_string(kMXNetVersion) + "]}\n}";
  return out;
}

Symbol Symbol::from_json(const std::string& text) {
  json::Value doc = json::parse(text, "symbol JSON");
  BRAID_CHECK(doc.is_object(), kIO, "symbol JSON: the top level must be an object");
  const json::Value& jnodes = member(doc, "nodes", "the file");
  BRAID_CHECK(jnodes.is_array(), kIO, "symbol JSON: 'nodes' must be an array");
  std::vector<NodePtr> nodes;
  nodes.reserve(jnodes.arr.size());
  for (size_t i = 0; i < jnodes.arr.size(); ++i) {
    const json::Value& jn = jnodes.arr[i];
    std::string where = "node " + std::to_string(i);
    BRAID_CHECK(jn.is_object(), kIO, "symbol JSON: ", where, " must be an object");
    const json::Value& jop = member(jn, "op", where);
    const json::Value& jname = member(jn, "name", where);
    BRAID_CHECK(jop.is_string() && jname.is_string(), kIO, "symbol JSON: ", where, ": 'op' and 'name' must be strings");
    where = "node " + std::to_string(i) + " ('" + jname.str + "')";
    auto n = std::make_shared<Node>();
    n->name = jname.str;
    // Files from different MXNet versions call the attribute dictionary attrs, attr or param.
    const json::Value* jattrs = jn.get("attrs");
    if (!jattrs)
      jattrs = jn.get("attr");
    if (!jattrs)
      jattrs = jn.get("param");
    if (jattrs) {
      BRAID_CHECK(jattrs->is_object(), kIO, "symbol JSON: ", where, ": attrs must be an object");
      for (const auto& kv : jattrs->obj) {
        BRAID_CHECK(kv.second.is_string(), kIO, "symbol JSON: ", where, ": attribute '", kv.first,
                    "' must be a string");
        n->str_attrs.emplace_back(kv.first, kv.second.str);
      }
    }
    if (jop.str != "null") {
      n->op = Registry::get().find(jop.str);
      BRAID_CHECK(n->op != nullptr, kIO, "symbol JSON: ", where, " uses op '", jop.str, "', which braid does not have");
      n->attrs = OpAttrs(n->op);
      std::vector<bool> given(n->op->attrs.size(), false);
      std::vector<std::pair<std::string, std::string>> kept;
      for (const auto& kv : n->str_attrs) {
        int idx = n->op->attr_index(kv.first);
        if (idx < 0) {
          BRAID_CHECK(is_hidden_attr(kv.first) || is_tuning_attr(kv.first), kIO, "symbol JSON: ", where, ": op ",
                      n->op->name, " has no attribute '", kv.first, "'");
          if (is_hidden_attr(kv.first))
            kept.push_back(kv);
          continue;
        }
        set_attr_from_string(n->attrs, idx, kv.second, "symbol JSON: " + where);
        given[idx] = true;
        kept.push_back(kv);
      }
      n->str_attrs = std::move(kept);
      try {
        check_required_attrs(n->attrs, given);
      } catch (const Error& e) {
        fail(ErrorKind::kIO, "symbol JSON: ", where, ": ", e.what());
      }
    }
    const json::Value& jin = member(jn, "inputs", where);
    BRAID_CHECK(jin.is_array(), kIO, "symbol JSON: ", where, ": 'inputs' must be an array");
    for (size_t k = 0; k < jin.arr.size(); ++k)
      n->inputs.push_back(read_entry(jin.arr[k], nodes, i, jnodes.arr.size(), where + " input " + std::to_string(k)));
    if (n->op) {
      const OpDef& op = *n->op;
      const size_t got = n->inputs.size();
      if (op.variadic) {
        BRAID_CHECK(got >= 1, kIO, "symbol JSON: ", where, ": ", op.name, " needs at least one input");
      } else {
        const size_t hi = op.input_names.size(), lo = hi - op.num_optional_inputs;
        BRAID_CHECK(got >= lo && got <= hi, kIO, "symbol JSON: ", where, ": ", op.name, " takes ", lo,
                    lo == hi ? "" : str_cat(" to ", hi), " input(s), the file gives ", got);
      }
    } else {
      BRAID_CHECK(n->inputs.empty(), kIO, "symbol JSON: ", where, ": a variable cannot have inputs");
    }
    nodes.push_back(std::move(n));
  }
  const json::Value& jheads = member(doc, "heads", "the file");
  BRAID_CHECK(jheads.is_array() && !jheads.arr.empty(), kIO, "symbol JSON: 'heads' must be a non-empty array");
  Symbol s;
  for (size_t k = 0; k < jheads.arr.size(); ++k)
    s.outputs.push_back(read_entry(jheads.arr[k], nodes, nodes.size(), nodes.size(), "head " + std::to_string(k)));
  return s;
}

}  // namespace braid
