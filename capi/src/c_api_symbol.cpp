// Symbols, cached graphs and predictors through the C ABI.
#include <map>
#include <memory>

#include "api_common.h"
#include "graph/attr_string.h"
#include "graph/executor.h"
#include "graph/predictor.h"
#include "ops/invoke.h"

using namespace braid;

struct braid_symbol_t {
  Symbol sym;
  InferResult inferred;  // the last braid_symbol_infer
  std::vector<Shape> scratch;
};
struct braid_graph_t {
  GraphExecutor exec;
};
struct braid_predictor_t {
  std::unique_ptr<Predictor> pred;
};

namespace {

const Symbol& sym_of(braid_symbol s, const char* fn) {
  BRAID_CHECK(s != nullptr, kValue, fn, ": symbol handle is NULL");
  return s->sym;
}

braid_symbol new_symbol(Symbol s) {
  return new braid_symbol_t{std::move(s), {}, {}};
}

Node& single_node(braid_symbol s, const char* fn) {
  const Symbol& sym = sym_of(s, fn);
  BRAID_CHECK(sym.outputs.size() == 1, kValue, fn, ": the symbol has ", sym.outputs.size(), " outputs; pick one first");
  return *sym.outputs[0].node;
}

std::map<std::string, Shape> shapes_from(int32_t num, const char* const* names, const int32_t* ndims,
                                         const int64_t* dims, const char* fn) {
  BRAID_CHECK(num >= 0 && (num == 0 || (names && ndims)), kValue, fn, ": names or ndims is NULL");
  std::map<std::string, Shape> m;
  size_t off = 0;
  for (int32_t i = 0; i < num; ++i) {
    BRAID_CHECK(names[i] != nullptr, kValue, fn, ": name ", i, " is NULL");
    if (ndims[i] < 0)
      continue;
    BRAID_CHECK(ndims[i] <= 32 && (ndims[i] == 0 || dims), kValue, fn, ": bad shape for '", names[i], "'");
    Shape s(dims + off, dims + off + ndims[i]);
    for (int64_t d : s)
      BRAID_CHECK(d >= 0, kValue, fn, ": shape of '", names[i], "' has a negative dimension");
    m[names[i]] = s;
    off += static_cast<size_t>(ndims[i]);
  }
  return m;
}

}  // namespace

int braid_op_num_visible_outputs(braid_op op, int32_t* n) {
  return guarded([&] {
    BRAID_CHECK(op != nullptr, kValue, "op_num_visible_outputs: op handle is NULL");
    check_out(n, "braid_op_num_visible_outputs", "n");
    *n = reinterpret_cast<const OpDef*>(op)->num_visible_outputs;
  });
}

int braid_symbol_variable(const char* name, braid_symbol* out) {
  return guarded([&] {
    check_out(out, "braid_symbol_variable", "out");
    BRAID_CHECK(name != nullptr, kValue, "Variable: name is NULL");
    *out = new_symbol(Symbol::variable(name));
  });
}

int braid_symbol_create(braid_op op, int32_t num_attrs, const char* const* keys, const char* const* values,
                        int32_t num_inputs, const braid_symbol* inputs, const char* name, braid_symbol* out) {
  return guarded([&] {
    check_out(out, "braid_symbol_create", "out");
    BRAID_CHECK(op != nullptr, kValue, "symbol_create: op handle is NULL");
    const OpDef& d = *reinterpret_cast<const OpDef*>(op);
    std::string node_name = name && *name ? name : auto_node_name(d.name);
    const std::string where = d.name + " '" + node_name + "'";
    BRAID_CHECK(num_attrs >= 0 && (num_attrs == 0 || (keys && values)), kValue, where, ": attrs are NULL");
    OpAttrs attrs(&d);
    std::vector<bool> given(d.attrs.size(), false);
    std::vector<std::pair<std::string, std::string>> str_attrs;
    for (int32_t k = 0; k < num_attrs; ++k) {
      BRAID_CHECK(keys[k] && values[k], kValue, where, ": attribute ", k, " is NULL");
      std::string key = keys[k];
      int idx = d.attr_index(key);
      if (idx < 0) {
        BRAID_CHECK(key.size() > 4 && key.compare(0, 2, "__") == 0, kValue, d.name, "() got an unknown attribute '",
                    key, "'");
      } else {
        set_attr_from_string(attrs, idx, values[k], where);
        given[idx] = true;
      }
      str_attrs.emplace_back(key, values[k]);
    }
    check_required_attrs(attrs, given);
    BRAID_CHECK(num_inputs >= 0 && (num_inputs == 0 || inputs), kValue, where, ": inputs is NULL");
    std::vector<NodeEntry> in;
    for (int32_t i = 0; i < num_inputs; ++i) {
      if (!inputs[i]) {
        in.push_back(NodeEntry{});
        continue;
      }
      const Symbol& s = inputs[i]->sym;
      BRAID_CHECK(s.outputs.size() == 1, kValue, where, ": input ", i, " is a symbol with ", s.outputs.size(),
                  " outputs; pick one (sym[i])");
      in.push_back(s.outputs[0]);
    }
    *out = new_symbol(Symbol::create(d, std::move(attrs), std::move(str_attrs), in, node_name));
  });
}

int braid_symbol_group(int32_t num, const braid_symbol* symbols, braid_symbol* out) {
  return guarded([&] {
    check_out(out, "braid_symbol_group", "out");
    BRAID_CHECK(num > 0 && symbols, kValue, "Group: needs at least one symbol");
    std::vector<Symbol> parts;
    for (int32_t i = 0; i < num; ++i)
      parts.push_back(sym_of(symbols[i], "Group"));
    *out = new_symbol(Symbol::group(parts));
  });
}

int braid_symbol_compose(braid_symbol sym, int32_t num, const char* const* names, const braid_symbol* inputs,
                         braid_symbol* out) {
  return guarded([&] {
    check_out(out, "braid_symbol_compose", "out");
    const Symbol& s = sym_of(sym, "compose");
    BRAID_CHECK(num >= 0 && (num == 0 || (names && inputs)), kValue, "compose: names or inputs is NULL");
    std::map<std::string, NodeEntry> m;
    for (int32_t i = 0; i < num; ++i) {
      BRAID_CHECK(names[i] != nullptr, kValue, "compose: name ", i, " is NULL");
      const Symbol& in = sym_of(inputs[i], "compose");
      BRAID_CHECK(in.outputs.size() == 1, kValue, "compose: the symbol for '", names[i], "' has ", in.outputs.size(),
                  " outputs; pick one");
      m[names[i]] = in.outputs[0];
    }
    *out = new_symbol(s.compose(m));
  });
}

int braid_symbol_free(braid_symbol sym) {
  return guarded([&] { delete sym; });
}

int braid_symbol_num_outputs(braid_symbol sym, int32_t* n) {
  return guarded([&] {
    check_out(n, "braid_symbol_num_outputs", "n");
    *n = static_cast<int32_t>(sym_of(sym, "num_outputs").outputs.size());
  });
}

int braid_symbol_output(braid_symbol sym, int32_t index, braid_symbol* out) {
  return guarded([&] {
    check_out(out, "braid_symbol_output", "out");
    BRAID_CHECK(index >= 0, kIndex, "Symbol: output index ", index, " is negative");
    *out = new_symbol(sym_of(sym, "output").output(static_cast<size_t>(index)));
  });
}

int braid_symbol_internals(braid_symbol sym, braid_symbol* out) {
  return guarded([&] {
    check_out(out, "braid_symbol_internals", "out");
    *out = new_symbol(sym_of(sym, "get_internals").get_internals());
  });
}

int braid_symbol_children(braid_symbol sym, braid_symbol* out) {
  return guarded([&] {
    check_out(out, "braid_symbol_children", "out");
    Symbol c = sym_of(sym, "get_children").get_children();
    *out = c.outputs.empty() ? nullptr : new_symbol(std::move(c));
  });
}

int braid_symbol_name(braid_symbol sym, const char** name, const char** op_name) {
  return guarded([&] {
    Node& n = single_node(sym, "Symbol.name");
    if (name)
      *name = n.name.c_str();
    if (op_name)
      *op_name = n.op ? n.op->name.c_str() : "null";
  });
}

int braid_symbol_set_attr(braid_symbol sym, const char* key, const char* value) {
  return guarded([&] {
    Node& n = single_node(sym, "Symbol._set_attr");
    BRAID_CHECK(key && value, kValue, "Symbol._set_attr: key or value is NULL");
    std::string k = key;
    BRAID_CHECK(k.size() > 4 && k.compare(0, 2, "__") == 0 && k.compare(k.size() - 2, 2, "__") == 0, kValue,
                "Symbol._set_attr: only hidden attributes (__name__) can be set, got '", k, "'");
    for (auto& kv : n.str_attrs) {
      if (kv.first == k) {
        kv.second = value;
        return;
      }
    }
    n.str_attrs.emplace_back(k, value);
  });
}

int braid_symbol_get_attr(braid_symbol sym, const char* key, const char** value) {
  return guarded([&] {
    Node& n = single_node(sym, "Symbol.attr");
    check_out(value, "braid_symbol_get_attr", "value");
    BRAID_CHECK(key != nullptr, kValue, "Symbol.attr: key is NULL");
    const std::string* v = n.str_attr(key);
    thread_local std::string holder;
    if (!v && n.op) {
      int idx = n.op->attr_index(key);
      if (idx >= 0) {
        holder = attr_to_string(n.attrs, idx);
        *value = holder.c_str();
        return;
      }
    }
    *value = v ? v->c_str() : nullptr;
  });
}

int braid_symbol_list(braid_symbol sym, int32_t which, int32_t* num, const char*** names) {
  return guarded([&] {
    check_out(num, "braid_symbol_list", "num");
    check_out(names, "braid_symbol_list", "names");
    const Symbol& s = sym_of(sym, "Symbol.list");
    thread_local std::vector<std::string> held;
    thread_local std::vector<const char*> ptrs;
    switch (which) {
      case 0:
        held = s.list_arguments();
        break;
      case 1:
        held = s.list_outputs();
        break;
      case 2:
        held = s.list_auxiliary_states();
        break;
      case 3:
        held = s.list_inputs();
        break;
      default:
        fail(ErrorKind::kValue, "symbol_list: which must be 0..3, got ", which);
    }
    ptrs.clear();
    for (const std::string& n : held)
      ptrs.push_back(n.c_str());
    *num = static_cast<int32_t>(ptrs.size());
    *names = ptrs.data();
  });
}

int braid_symbol_to_json(braid_symbol sym, const char** json) {
  return guarded([&] {
    check_out(json, "braid_symbol_to_json", "json");
    thread_local std::string held;
    held = sym_of(sym, "tojson").to_json();
    *json = held.c_str();
  });
}

int braid_symbol_from_json(const char* json, braid_symbol* out) {
  return guarded([&] {
    check_out(out, "braid_symbol_from_json", "out");
    BRAID_CHECK(json != nullptr, kValue, "load_json: json is NULL");
    *out = new_symbol(Symbol::from_json(json));
  });
}

int braid_symbol_infer(braid_symbol sym, int32_t num, const char* const* names, const int32_t* ndims,
                       const int64_t* dims, const int32_t* dtypes, int32_t partial, int32_t* complete) {
  return guarded([&] {
    const Symbol& s = sym_of(sym, "infer_shape");
    std::map<std::string, Shape> shapes = shapes_from(num, names, ndims, dims, "infer_shape");
    std::map<std::string, DType> types;
    for (int32_t i = 0; dtypes && i < num; ++i) {
      if (dtypes[i] < 0)
        continue;
      BRAID_CHECK(dtype_is_valid(dtypes[i]), kType, "infer_type: unknown dtype code ", dtypes[i], " for '", names[i],
                  "'");
      types[names[i]] = static_cast<DType>(dtypes[i]);
    }
    std::vector<std::string> inputs = s.list_inputs();
    for (const auto& kv : shapes) {
      bool found = false;
      for (const std::string& n : inputs)
        found = found || n == kv.first;
      BRAID_CHECK(found, kValue, "infer_shape: the symbol has no input '", kv.first, "'");
    }
    sym->inferred = infer_graph(s, shapes, types, partial != 0);
    if (complete)
      *complete = sym->inferred.complete;
  });
}

int braid_symbol_inferred(braid_symbol sym, int32_t which, int32_t index, int32_t* ndim, const int64_t** dims,
                          int32_t* dtype) {
  return guarded([&] {
    BRAID_CHECK(sym != nullptr, kValue, "symbol_inferred: symbol handle is NULL");
    const InferResult& r = sym->inferred;
    const bool in = which == 0;
    BRAID_CHECK(which == 0 || which == 1, kValue, "symbol_inferred: which must be 0 or 1");
    const auto& metas = in ? r.inputs : r.outputs;
    BRAID_CHECK(index >= 0 && index < static_cast<int32_t>(metas.size()), kIndex, "symbol_inferred: index ", index,
                " is out of range");
    const bool sk = in ? r.input_shape_known[index] : r.output_shape_known[index];
    const bool dk = in ? r.input_dtype_known[index] : r.output_dtype_known[index];
    if (ndim)
      *ndim = sk ? static_cast<int32_t>(metas[index].shape.size()) : -1;
    if (dims)
      *dims = metas[index].shape.data();
    if (dtype)
      *dtype = dk ? static_cast<int32_t>(metas[index].dtype) : -1;
  });
}

int braid_graph_create(braid_symbol sym, braid_graph* out) {
  return guarded([&] {
    check_out(out, "braid_graph_create", "out");
    *out = new braid_graph_t{GraphExecutor(sym_of(sym, "graph_create"))};
  });
}

int braid_graph_forward(braid_graph graph, int32_t num_inputs, const braid_array* inputs, int32_t max_outputs,
                        int32_t* num_outputs, braid_array* outputs) {
  return guarded([&] {
    BRAID_CHECK(graph != nullptr, kValue, "graph_forward: graph handle is NULL");
    check_out(num_outputs, "braid_graph_forward", "num_outputs");
    BRAID_CHECK(num_inputs >= 0 && (num_inputs == 0 || inputs), kValue, "graph_forward: inputs is NULL");
    const GraphExecutor& g = graph->exec;
    BRAID_CHECK(max_outputs >= static_cast<int32_t>(g.num_outputs()) && outputs, kValue, "graph_forward: room for ",
                max_outputs, " outputs, the graph has ", g.num_outputs());
    std::vector<Tensor> in;
    in.reserve(num_inputs);
    for (int32_t i = 0; i < num_inputs; ++i) {
      BRAID_CHECK(inputs[i] != nullptr, kValue, "graph_forward: input ", i, " ('",
                  i < static_cast<int32_t>(g.input_names().size()) ? g.input_names()[i] : "?", "') is NULL");
      in.push_back(inputs[i]->t);
    }
    std::vector<Tensor> res = g.forward(in);
    for (size_t i = 0; i < res.size(); ++i)
      outputs[i] = new_handle(std::move(res[i]));
    *num_outputs = static_cast<int32_t>(res.size());
  });
}

int braid_graph_free(braid_graph graph) {
  return guarded([&] { delete graph; });
}

int braid_predictor_create(const char* symbol_json, const void* params, size_t params_size, int32_t dev_type,
                           int32_t dev_id, int32_t num_inputs, const char* const* input_names, const int32_t* ndims,
                           const int64_t* dims, braid_predictor* out) {
  return guarded([&] {
    check_out(out, "braid_predictor_create", "out");
    BRAID_CHECK(symbol_json != nullptr, kValue, "predictor_create: symbol_json is NULL");
    BRAID_CHECK(params != nullptr || params_size == 0, kValue, "predictor_create: params is NULL");
    BRAID_CHECK(num_inputs > 0, kValue, "predictor_create: name at least one data input");
    Context ctx = make_context(dev_type, dev_id, "predictor_create");
    auto shapes = shapes_from(num_inputs, input_names, ndims, dims, "predictor_create");
    *out = new braid_predictor_t{std::make_unique<Predictor>(symbol_json, params, params_size, ctx, shapes)};
  });
}

int braid_predictor_reshape(braid_predictor pred, int32_t num_inputs, const char* const* input_names,
                            const int32_t* ndims, const int64_t* dims, braid_predictor* out) {
  return guarded([&] {
    BRAID_CHECK(pred != nullptr, kValue, "predictor_reshape: predictor handle is NULL");
    check_out(out, "braid_predictor_reshape", "out");
    auto shapes = shapes_from(num_inputs, input_names, ndims, dims, "predictor_reshape");
    *out = new braid_predictor_t{pred->pred->reshape(shapes)};
  });
}

int braid_predictor_set_input(braid_predictor pred, const char* name, const float* data, size_t size) {
  return guarded([&] {
    BRAID_CHECK(pred != nullptr && name != nullptr, kValue, "predictor_set_input: predictor or name is NULL");
    pred->pred->set_input(name, data, size);
  });
}

int braid_predictor_forward(braid_predictor pred) {
  return guarded([&] {
    BRAID_CHECK(pred != nullptr, kValue, "predictor_forward: predictor handle is NULL");
    pred->pred->forward();
  });
}

int braid_predictor_num_outputs(braid_predictor pred, int32_t* n) {
  return guarded([&] {
    BRAID_CHECK(pred != nullptr, kValue, "predictor_num_outputs: predictor handle is NULL");
    check_out(n, "braid_predictor_num_outputs", "n");
    *n = static_cast<int32_t>(pred->pred->num_outputs());
  });
}

int braid_predictor_output_shape(braid_predictor pred, int32_t index, int32_t* ndim, const int64_t** dims) {
  return guarded([&] {
    BRAID_CHECK(pred != nullptr, kValue, "predictor_output_shape: predictor handle is NULL");
    check_out(ndim, "braid_predictor_output_shape", "ndim");
    check_out(dims, "braid_predictor_output_shape", "dims");
    BRAID_CHECK(index >= 0, kIndex, "predictor_output_shape: index ", index, " is negative");
    const Shape& s = pred->pred->output_shape(static_cast<size_t>(index));
    *ndim = static_cast<int32_t>(s.size());
    *dims = s.data();
  });
}

int braid_predictor_get_output(braid_predictor pred, int32_t index, float* data, size_t size) {
  return guarded([&] {
    BRAID_CHECK(pred != nullptr, kValue, "predictor_get_output: predictor handle is NULL");
    BRAID_CHECK(index >= 0, kIndex, "predictor_get_output: index ", index, " is negative");
    pred->pred->get_output(static_cast<size_t>(index), data, size);
  });
}

int braid_predictor_free(braid_predictor pred) {
  return guarded([&] { delete pred; });
}
