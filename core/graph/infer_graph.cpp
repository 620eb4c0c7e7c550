#include <cstdlib>
#include <unordered_map>

#include "graph/attr_string.h"
#include "graph/symbol.h"

namespace braid {

namespace {

struct EntryMeta {
  TensorMeta m;
  bool shape = false, dtype = false;
};

bool fully_known(const Shape& s) {
  for (int64_t d : s) {
    if (d <= 0)
      return false;  // MXNet writes unknown dims as 0 (or -1 in numpy shape mode)
  }
  return true;
}

// "(2, 3)" from a __shape__ attribute.
bool shape_from_attr(const std::string& v, Shape* out) {
  std::string body = v;
  out->clear();
  for (char& c : body) {
    if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',')
      c = ' ';
  }
  size_t pos = 0;
  while (pos < body.size()) {
    while (pos < body.size() && body[pos] == ' ')
      ++pos;
    if (pos >= body.size())
      break;
    size_t end = pos;
    while (end < body.size() && body[end] != ' ')
      ++end;
    try {
      out->push_back(std::stoll(body.substr(pos, end - pos)));
    } catch (...) {
      return false;
    }
    pos = end;
  }
  return fully_known(*out);
}

}  // namespace

InferResult infer_graph(const Symbol& sym, const std::map<std::string, Shape>& shapes,
                        const std::map<std::string, DType>& dtypes, bool partial) {
  std::vector<NodePtr> topo = sym.topo_order();
  std::unordered_map<const Node*, std::vector<EntryMeta>> metas;
  for (const NodePtr& np : topo) {
    Node& n = *np;
    std::vector<EntryMeta>& out = metas[&n];
    out.assign(n.num_outputs(), EntryMeta());
    if (n.is_variable()) {
      auto s = shapes.find(n.name);
      if (s != shapes.end()) {
        out[0].m.shape = s->second;
        out[0].shape = fully_known(s->second);
      } else if (const std::string* a = n.str_attr("__shape__")) {
        out[0].shape = shape_from_attr(*a, &out[0].m.shape);
      }
      auto d = dtypes.find(n.name);
      if (d != dtypes.end()) {
        out[0].m.dtype = d->second;
        out[0].dtype = true;
      } else if (const std::string* a = n.str_attr("__dtype__")) {
        const bool numeric = !a->empty() && (*a)[0] >= '0' && (*a)[0] <= '9';  // MXNet writes the type code
        if (numeric && dtype_is_valid(std::atoi(a->c_str())))
          out[0].m.dtype = static_cast<DType>(std::atoi(a->c_str()));
        else
          out[0].m.dtype = dtype_from_name(*a);
        out[0].dtype = true;
      }
      continue;
    }
    const OpDef& op = *n.op;
    // Variables without a given dtype take the dtype of the op's data (parameters follow the data, as MXNet
    // infers them), or float32.
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      EntryMeta& e = metas[n.inputs[i].node.get()][n.inputs[i].index];
      if (e.dtype || !n.inputs[i].node->is_variable())
        continue;
      const EntryMeta& d = metas[n.inputs[0].node.get()][n.inputs[0].index];
      e.m.dtype = i > 0 && d.dtype ? d.m.dtype : DType::kFloat32;
      e.dtype = true;
    }
    std::vector<TensorMeta> in(n.inputs.size());
    std::vector<bool> known(n.inputs.size());
    bool all_shapes = true, all_dtypes = true;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const EntryMeta& e = metas[n.inputs[i].node.get()][n.inputs[i].index];
      in[i] = e.m;
      known[i] = e.shape;
      all_shapes = all_shapes && e.shape;
      all_dtypes = all_dtypes && e.dtype;
    }
    if (!all_shapes && op.infer_inputs && !n.inputs.empty() && known[0]) {
      try {
        op.infer_inputs(n.attrs, &in, &known);
      } catch (const Error& e) {
        fail(e.kind(), "infer_shape: node '", n.name, "' (", op.name, "): ", e.what());
      }
      all_shapes = true;
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        EntryMeta& e = metas[n.inputs[i].node.get()][n.inputs[i].index];
        if (known[i] && !e.shape && n.inputs[i].node->is_variable()) {
          e.m.shape = in[i].shape;
          e.shape = true;
        }
        all_shapes = all_shapes && e.shape;
      }
    }
    if (all_shapes && all_dtypes) {
      std::vector<TensorMeta> res(out.size());
      try {
        op.infer(n.attrs, in, &res);
      } catch (const Error& e) {
        std::string shapes_str;
        for (size_t i = 0; i < in.size(); ++i)
          shapes_str += (i ? ", " : "") + shape_str(in[i].shape);
        fail(e.kind(), "infer_shape: node '", n.name, "' (", op.name, ") with input shapes [", shapes_str,
             "]: ", e.what());
      }
      for (size_t k = 0; k < out.size(); ++k)
        out[k] = {res[k], true, true};
    } else if (all_dtypes && !in.empty()) {
      for (EntryMeta& e : out) {
        e.m.dtype = in[0].dtype;
        e.dtype = true;
      }
    }
  }

  InferResult r;
  r.complete = true;
  for (const NodePtr& np : topo) {
    if (!np->is_variable())
      continue;
    const EntryMeta& e = metas[np.get()][0];
    r.inputs.push_back(e.m);
    r.input_shape_known.push_back(e.shape);
    r.input_dtype_known.push_back(e.dtype);
    r.complete = r.complete && e.shape && e.dtype;
    BRAID_CHECK(partial || e.shape, kValue, "infer_shape: cannot infer the shape of input '", np->name,
                "'; give it (e.g. infer_shape(", np->name, "=(...)))");
  }
  for (const NodeEntry& h : sym.outputs) {
    const EntryMeta& e = metas[h.node.get()][h.index];
    r.outputs.push_back(e.m);
    r.output_shape_known.push_back(e.shape);
    r.output_dtype_known.push_back(e.dtype);
    r.complete = r.complete && e.shape && e.dtype;
  }
  return r;
}

}  // namespace braid
