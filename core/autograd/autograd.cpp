#include "autograd/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "autograd/mode.h"
#include "ops/invoke.h"
#include "ops/op_call.h"

namespace braid {

namespace {

thread_local const std::vector<Tensor>* t_rule_inputs = nullptr;

// Publishes the inputs of the node whose gradient rule runs, for input_grad_needed().
struct RuleInputs {
  const std::vector<Tensor>* saved = t_rule_inputs;
  explicit RuleInputs(const std::vector<Tensor>* in) { t_rule_inputs = in; }
  ~RuleInputs() { t_rule_inputs = saved; }
};

}  // namespace

bool input_grad_needed(size_t i) {
  const std::vector<Tensor>* in = t_rule_inputs;
  if (!in || i >= in->size())
    return true;
  const std::shared_ptr<AGInfo>& ag = (*in)[i].impl()->ag;
  return ag && ag->needs_grad();
}

namespace {

// Runs a scope with recording and training set, restoring both after.
class ModeScope {
 public:
  ModeScope(bool recording, bool training) : old_rec_(set_recording(recording)), old_train_(set_training(training)) {}
  ~ModeScope() {
    set_recording(old_rec_);
    set_training(old_train_);
  }

 private:
  bool old_rec_, old_train_;
};

Tensor add_grads(const Tensor& a, const Tensor& b) {
  if (!a.defined())
    return b;
  if (!b.defined())
    return a;
  return call("elemwise_add", {a, b});
}

// Nodes reachable from the heads, each after every node that consumes its outputs. The list owns the nodes:
// freeing a node's saved inputs (backward without retain_graph) can drop the last other reference to the nodes
// upstream of it, which must stay alive until the walk is over.
std::vector<std::shared_ptr<GradNode>> reverse_topological(const std::vector<Tensor>& heads) {
  std::vector<std::shared_ptr<GradNode>> order;
  std::unordered_set<GradNode*> seen;
  std::vector<std::pair<std::shared_ptr<GradNode>, size_t>> stack;
  for (const Tensor& h : heads) {
    AGInfo* ag = h.impl()->ag.get();
    if (!ag || !ag->node || seen.count(ag->node.get()))
      continue;
    seen.insert(ag->node.get());
    stack.push_back({ag->node, 0});
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->inputs.size()) {
        AGInfo* in = node->inputs[next++].impl()->ag.get();
        if (in && in->node && !seen.count(in->node.get())) {
          seen.insert(in->node.get());
          stack.push_back({in->node, 0});
        }
        continue;
      }
      order.push_back(node);  // post-order: inputs' producers first
      stack.pop_back();
    }
  }
  return {order.rbegin(), order.rend()};
}

// The engine of backward() and grad(): returns accumulated gradients keyed by AGInfo.
std::unordered_map<AGInfo*, Tensor> propagate(const std::vector<Tensor>& heads, const std::vector<Tensor>& head_grads,
                                              bool retain_graph, bool create_graph, bool train_mode) {
  BRAID_CHECK(head_grads.empty() || head_grads.size() == heads.size(), kValue, "backward: got ", heads.size(),
              " heads but ", head_grads.size(), " head gradients");
  std::unordered_map<AGInfo*, Tensor> acc;
  std::vector<std::shared_ptr<AGInfo>> keep;  // AGInfo keys stay alive during the pass
  for (size_t i = 0; i < heads.size(); ++i) {
    const Tensor& h = heads[i];
    BRAID_CHECK(h.defined(), kValue, "backward: head ", i, " is not an array");
    const std::shared_ptr<AGInfo>& ag = h.impl()->ag;
    BRAID_CHECK(ag && ag->needs_grad(), kValue, "backward: head ", i,
                " is not part of a recorded graph: compute it inside autograd.record() from arrays that called "
                "attach_grad()");
    Tensor g = i < head_grads.size() ? head_grads[i] : Tensor();
    if (g.defined()) {
      BRAID_CHECK(g.shape() == h.shape(), kValue, "backward: head gradient ", i, " has shape ", shape_str(g.shape()),
                  ", expected the head's shape ", shape_str(h.shape()));
    } else {
      // MXNet semantics: a non-scalar head without out_grad is differentiated as if summed (ones).
      g = call("ones_like", {h.detached()});
    }
    keep.push_back(ag);
    acc[ag.get()] = add_grads(acc[ag.get()], g);
  }

  ModeScope scope(create_graph, train_mode);
  const std::vector<std::shared_ptr<GradNode>> order = reverse_topological(heads);
  for (const std::shared_ptr<GradNode>& node : order) {
    const char* name = node->op ? node->op->name.c_str() : "autograd.Function";
    BRAID_CHECK(!node->freed, kValue, "backward: the graph through '", name,
                "' was freed by an earlier backward; pass retain_graph=True to the first backward to run it again");
    BRAID_CHECK(node->custom || static_cast<bool>(node->op->grad), kNotImplemented, "backward: operator '", name,
                "' has no gradient rule");
    std::vector<Tensor> out_grads(node->outputs.size());
    bool any = false;
    for (size_t k = 0; k < node->outputs.size(); ++k) {
      std::shared_ptr<AGInfo> oag = node->out_ag[k].lock();
      if (!oag)
        continue;
      auto it = acc.find(oag.get());
      if (it != acc.end() && it->second.defined()) {
        out_grads[k] = it->second;
        any = true;
      }
    }
    if (!any)
      continue;
    for (size_t k = 0; k < out_grads.size(); ++k) {
      if (!out_grads[k].defined())
        out_grads[k] = call("zeros_like", {node->outputs[k]});
    }
    std::vector<Tensor> outputs = node->outputs;
    if (create_graph) {
      // Reconnect the saved outputs to their autograd state, so rules using them stay differentiable.
      for (size_t k = 0; k < outputs.size(); ++k) {
        std::shared_ptr<AGInfo> oag = node->out_ag[k].lock();
        if (oag) {
          outputs[k] = outputs[k].detached();
          outputs[k].impl()->ag = oag;
        }
      }
    }
    std::vector<Tensor> in_grads;
    {
      RuleInputs scope(&node->inputs);
      in_grads = node->custom ? node->custom(out_grads) : node->op->grad(node->attrs, node->inputs, outputs, out_grads);
    }
    BRAID_CHECK(in_grads.size() == node->inputs.size(), kRuntime, "internal error: gradient rule of '", name,
                "' returned ", in_grads.size(), " gradients for ", node->inputs.size(), " inputs");
    for (size_t i = 0; i < in_grads.size(); ++i) {
      const std::shared_ptr<AGInfo>& iag = node->inputs[i].impl()->ag;
      if (!iag || !iag->needs_grad() || !in_grads[i].defined())
        continue;
      BRAID_CHECK(in_grads[i].shape() == node->inputs[i].shape(), kValue, "backward: the gradient rule of '", name,
                  "' gave input ", i, " a gradient of shape ", shape_str(in_grads[i].shape()), ", expected ",
                  shape_str(node->inputs[i].shape()));
      keep.push_back(iag);
      acc[iag.get()] = add_grads(acc[iag.get()], in_grads[i]);
    }
  }
  if (!retain_graph) {
    for (const std::shared_ptr<GradNode>& node : order) {
      node->inputs.clear();
      node->outputs.clear();
      node->freed = true;
    }
  }
  // Callers look up only keys they hold themselves (leaves, variables), which stayed alive throughout.
  return acc;
}

}  // namespace

void attach_grad(const Tensor& t, GradReq req) {
  auto ag = std::make_shared<AGInfo>();
  ag->grad_req = req;
  if (req != GradReq::kNull)
    ag->grad = call("zeros_like", {t.detached()});
  t.impl()->ag = ag;  // a new leaf: detaches t from any graph it came from, as in MXNet
}

Tensor grad_of(const Tensor& t) {
  AGInfo* ag = t.impl()->ag.get();
  return ag && ag->is_leaf() ? ag->grad : Tensor();
}

namespace {

void attach_node(const std::shared_ptr<GradNode>& node, const std::vector<Tensor>& outputs) {
  node->outputs.reserve(outputs.size());
  for (size_t k = 0; k < outputs.size(); ++k) {
    auto ag = std::make_shared<AGInfo>();
    ag->node = node;
    ag->out_index = static_cast<int>(k);
    node->outputs.push_back(outputs[k].detached());
    node->out_ag.push_back(ag);
    outputs[k].impl()->ag = std::move(ag);
  }
}

}  // namespace

void record_custom(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, CustomGradFn fn) {
  auto node = std::make_shared<GradNode>();
  node->custom = std::move(fn);
  node->inputs = inputs;
  attach_node(node, outputs);
}

void record_op(const OpDef& op, const OpAttrs& attrs, const std::vector<Tensor>& inputs,
               const std::vector<Tensor>& outputs) {
  bool needed = false;
  for (const Tensor& t : inputs) {
    const AGInfo* ag = t.impl()->ag.get();
    needed = needed || (ag && ag->needs_grad());
  }
  if (!needed)
    return;
  for (const Tensor& t : outputs) {
    const AGInfo* ag = t.impl()->ag.get();
    BRAID_CHECK(!(ag && ag->is_leaf() && ag->grad_req != GradReq::kNull), kValue, op.name,
                ": cannot write in place into an array that has a gradient attached while recording");
  }
  auto node = std::make_shared<GradNode>();
  node->op = &op;
  node->attrs = attrs;
  node->inputs = inputs;
  attach_node(node, outputs);
}

void backward(const std::vector<Tensor>& heads, const std::vector<Tensor>& head_grads, bool retain_graph,
              bool create_graph, bool train_mode) {
  std::vector<std::shared_ptr<AGInfo>> leaves;  // collected before the pass frees the graph
  std::unordered_set<AGInfo*> seen;
  for (const std::shared_ptr<GradNode>& node : reverse_topological(heads)) {
    for (const Tensor& in : node->inputs) {
      const std::shared_ptr<AGInfo>& ag = in.impl()->ag;
      if (ag && ag->is_leaf() && ag->grad_req != GradReq::kNull && seen.insert(ag.get()).second)
        leaves.push_back(ag);
    }
  }
  for (const Tensor& h : heads) {
    const std::shared_ptr<AGInfo>& ag = h.impl()->ag;
    if (ag && ag->is_leaf() && ag->grad_req != GradReq::kNull && seen.insert(ag.get()).second)
      leaves.push_back(ag);
  }
  std::unordered_map<AGInfo*, Tensor> acc = propagate(heads, head_grads, retain_graph, create_graph, train_mode);
  ModeScope scope(create_graph, train_mode);
  for (const std::shared_ptr<AGInfo>& leaf : leaves) {
    auto it = acc.find(leaf.get());
    if (it == acc.end() || !it->second.defined())
      continue;
    Tensor g = it->second;
    if (g.dtype() != leaf->grad.dtype())
      g = call("cast", {g}, {{"dtype", leaf->grad.dtype()}});
    if (leaf->grad_req == GradReq::kAdd)
      g = call("elemwise_add", {leaf->grad.detached(), g});
    if (create_graph) {
      leaf->grad = g;  // keeps the graph of the gradient for a second backward
    } else {
      // Written into the existing buffer, so handles to x.grad taken earlier see the new values.
      const OpDef& copy = Registry::get().at("_copy");
      invoke(copy, {g.detached()}, OpAttrs(&copy), g.ctx(), {leaf->grad});
    }
    leaf->fresh = true;
  }
}

std::vector<Tensor> grad(const std::vector<Tensor>& heads, const std::vector<Tensor>& head_grads,
                         const std::vector<Tensor>& variables, bool retain_graph, bool create_graph, bool train_mode) {
  for (size_t i = 0; i < variables.size(); ++i) {
    const AGInfo* ag = variables[i].impl()->ag.get();
    BRAID_CHECK(ag && ag->needs_grad(), kValue, "grad: variable ", i,
                " is not part of the recorded graph; call attach_grad() on it before recording");
  }
  std::vector<std::shared_ptr<AGInfo>> keys;
  for (const Tensor& v : variables)
    keys.push_back(v.impl()->ag);
  std::unordered_map<AGInfo*, Tensor> acc = propagate(heads, head_grads, retain_graph, create_graph, train_mode);
  std::vector<Tensor> out;
  ModeScope scope(create_graph, train_mode);
  for (size_t i = 0; i < variables.size(); ++i) {
    auto it = acc.find(keys[i].get());
    out.push_back(it != acc.end() && it->second.defined() ? it->second : call("zeros_like", {variables[i].detached()}));
  }
  return out;
}

}  // namespace braid
