#include "graph/symbol.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "graph/attr_string.h"

namespace braid {

int Node::num_visible_outputs() const {
  if (!op)
    return 1;
  const int n = num_outputs();
  return op->num_visible_outputs > 0 ? std::min(n, op->num_visible_outputs) : n;
}

const std::string* Node::str_attr(const std::string& key) const {
  for (const auto& kv : str_attrs) {
    if (kv.first == key)
      return &kv.second;
  }
  return nullptr;
}

std::string auto_node_name(const std::string& op_name) {
  static std::mutex mu;
  static std::unordered_map<std::string, int> counters;
  std::string base;
  for (char c : op_name)
    base.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::lock_guard<std::mutex> lk(mu);
  return base + std::to_string(counters[base]++);
}

namespace {

bool wants_optional_inputs(const OpAttrs& a) {
  const OpDef& op = *a.op();
  if (op.num_optional_inputs == 0)
    return true;
  if (op.attr_index("no_bias") >= 0)
    return !a.get_bool("no_bias");
  if (op.attr_index("act_type") >= 0)
    return a.get_str("act_type") == "prelu";
  if (op.attr_index("use_sequence_length") >= 0)
    return a.get_bool("use_sequence_length");
  if (op.attr_index("use_length") >= 0)
    return a.get_bool("use_length");
  return false;
}

}  // namespace

Symbol Symbol::variable(const std::string& name) {
  BRAID_CHECK(!name.empty(), kValue, "Variable: the name must not be empty");
  auto n = std::make_shared<Node>();
  n->name = name;
  Symbol s;
  s.outputs.push_back({n, 0});
  return s;
}

Symbol Symbol::create(const OpDef& op, OpAttrs attrs, std::vector<std::pair<std::string, std::string>> str_attrs,
                      const std::vector<NodeEntry>& inputs, std::string name) {
  if (name.empty())
    name = auto_node_name(op.name);
  auto n = std::make_shared<Node>();
  n->op = &op;
  n->name = name;
  n->attrs = std::move(attrs);
  n->str_attrs = std::move(str_attrs);
  if (op.variadic) {
    BRAID_CHECK(!inputs.empty(), kValue, op.name, " '", name, "': expected at least one input");
    for (size_t i = 0; i < inputs.size(); ++i) {
      BRAID_CHECK(inputs[i].node != nullptr, kValue, op.name, " '", name, "': input ", i, " is missing");
      n->inputs.push_back(inputs[i]);
    }
  } else {
    const size_t n_max = op.input_names.size();
    BRAID_CHECK(inputs.size() <= n_max, kValue, op.name, " '", name, "': expected at most ", n_max, " input(s), got ",
                inputs.size());
    // Trailing optional inputs (FullyConnected's bias, PReLU's gamma) are created only when the attributes ask
    // for them, as MXNet's symbol functions do.
    const size_t n_want = wants_optional_inputs(n->attrs) ? n_max : n_max - op.num_optional_inputs;
    for (size_t i = 0; i < std::max(n_want, inputs.size()); ++i) {
      if (i < inputs.size() && inputs[i].node) {
        n->inputs.push_back(inputs[i]);
      } else {
        Symbol v = variable(name + "_" + op.input_names[i]);
        n->inputs.push_back(v.outputs[0]);
      }
    }
  }
  Symbol s;
  for (int i = 0; i < n->num_visible_outputs(); ++i)
    s.outputs.push_back({n, static_cast<uint32_t>(i)});
  return s;
}

Symbol Symbol::group(const std::vector<Symbol>& parts) {
  Symbol s;
  for (const Symbol& p : parts)
    s.outputs.insert(s.outputs.end(), p.outputs.begin(), p.outputs.end());
  return s;
}

std::vector<NodePtr> Symbol::topo_order() const {
  // Iterative post-order DFS: graphs of deep networks would overflow a recursive walk.
  std::vector<NodePtr> order;
  std::unordered_set<const Node*> done;
  std::vector<std::pair<NodePtr, size_t>> stack;
  for (const NodeEntry& head : outputs) {
    if (!head.node || done.count(head.node.get()))
      continue;
    stack.push_back({head.node, 0});
    while (!stack.empty()) {
      auto& top = stack.back();
      if (top.second < top.first->inputs.size()) {
        NodePtr next = top.first->inputs[top.second++].node;
        if (!done.count(next.get()))
          stack.push_back({next, 0});
      } else {
        if (done.insert(top.first.get()).second)
          order.push_back(top.first);
        stack.pop_back();
      }
    }
  }
  return order;
}

std::vector<bool> Symbol::aux_flags(const std::vector<NodePtr>& topo) {
  std::unordered_set<const Node*> aux;
  for (const NodePtr& n : topo) {
    if (!n->op)
      continue;
    for (int i : n->op->mutable_inputs) {
      if (i < static_cast<int>(n->inputs.size()) && n->inputs[i].node->is_variable())
        aux.insert(n->inputs[i].node.get());
    }
  }
  std::vector<bool> flags;
  for (const NodePtr& n : topo)
    flags.push_back(aux.count(n.get()) > 0);
  return flags;
}

namespace {

std::vector<std::string> variables(const Symbol& s, int which) {  // 0 args, 1 aux, 2 all
  std::vector<NodePtr> topo = s.topo_order();
  std::vector<bool> aux = Symbol::aux_flags(topo);
  std::vector<std::string> names;
  for (size_t i = 0; i < topo.size(); ++i) {
    if (topo[i]->is_variable() && (which == 2 || (which == 1) == aux[i]))
      names.push_back(topo[i]->name);
  }
  return names;
}

std::string output_name(const Node& n, uint32_t index) {
  if (n.is_variable())
    return n.name;
  if (n.num_visible_outputs() == 1 && index == 0)
    return n.name + "_output";
  return n.name + "_output" + std::to_string(index);
}

}  // namespace

std::vector<std::string> Symbol::list_arguments() const {
  return variables(*this, 0);
}
std::vector<std::string> Symbol::list_auxiliary_states() const {
  return variables(*this, 1);
}
std::vector<std::string> Symbol::list_inputs() const {
  return variables(*this, 2);
}

std::vector<NodePtr> Symbol::input_nodes() const {
  std::vector<NodePtr> v;
  for (const NodePtr& n : topo_order()) {
    if (n->is_variable())
      v.push_back(n);
  }
  return v;
}

std::vector<std::string> Symbol::list_outputs() const {
  std::vector<std::string> names;
  for (const NodeEntry& e : outputs)
    names.push_back(output_name(*e.node, e.index));
  return names;
}

Symbol Symbol::get_internals() const {
  Symbol s;
  for (const NodePtr& n : topo_order()) {
    for (int i = 0; i < n->num_visible_outputs(); ++i)
      s.outputs.push_back({n, static_cast<uint32_t>(i)});
  }
  return s;
}

Symbol Symbol::get_children() const {
  Symbol s;
  for (const NodeEntry& e : outputs)
    s.outputs.insert(s.outputs.end(), e.node->inputs.begin(), e.node->inputs.end());
  return s;
}

Symbol Symbol::output(size_t i) const {
  BRAID_CHECK(i < outputs.size(), kIndex, "Symbol: output index ", i, " is out of range (the symbol has ",
              outputs.size(), " output(s))");
  Symbol s;
  s.outputs.push_back(outputs[i]);
  return s;
}

Symbol Symbol::compose(const std::map<std::string, NodeEntry>& inputs) const {
  std::unordered_map<const Node*, NodePtr> copied;
  std::unordered_set<std::string> used;
  for (const NodePtr& n : topo_order()) {
    if (n->is_variable()) {
      auto it = inputs.find(n->name);
      if (it != inputs.end()) {
        used.insert(n->name);
        copied[n.get()] = nullptr;  // replaced: entries pointing here use it->second
        continue;
      }
      copied[n.get()] = n;  // variables are shared, not copied: they hold no inputs
      continue;
    }
    auto c = std::make_shared<Node>(*n);
    for (NodeEntry& e : c->inputs) {
      const NodePtr& src = copied.at(e.node.get());
      e = src ? NodeEntry{src, e.index} : inputs.at(e.node->name);
    }
    copied[n.get()] = c;
  }
  for (const auto& kv : inputs) {
    BRAID_CHECK(used.count(kv.first), kValue, "Symbol compose: the graph has no variable '", kv.first, "'");
  }
  Symbol s;
  for (const NodeEntry& h : outputs) {
    const NodePtr& src = copied.at(h.node.get());
    s.outputs.push_back(src ? NodeEntry{src, h.index} : inputs.at(h.node->name));
  }
  return s;
}

}  // namespace braid
