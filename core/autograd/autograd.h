// Reverse-mode automatic differentiation, recorded in the core.
//
// While recording (autograd/mode.h), invoke() records every op whose inputs need a gradient as a GradNode
// holding the op, its attributes and the arrays its gradient rule needs. Every output of a recorded op, and
// every leaf the user marked with attach_grad, carries an AGInfo. backward() walks the nodes from the heads in
// reverse topological order, calls each op's gradient rule (declared beside its forward in the registry,
// built from registered ops) and accumulates input gradients, finally writing or adding them into the
// leaves' gradient buffers. With create_graph the rules run while recording, so gradients can be
// differentiated again.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "ops/registry.h"
#include "tensor/tensor.h"

namespace braid {

enum class GradReq : int { kNull = 0, kWrite = 1, kAdd = 2 };  // values are part of the C ABI

struct GradNode;

struct AGInfo {
  // Leaves (attach_grad): where the gradient goes and how.
  GradReq grad_req = GradReq::kNull;
  Tensor grad;
  bool fresh = false;  // backward wrote grad since the flag was last cleared (the Trainer's stale-gradient check)
  // Outputs of recorded ops: which node produced the array, and which of its outputs it is.
  std::shared_ptr<GradNode> node;
  int out_index = 0;

  bool is_leaf() const { return node == nullptr; }
  bool needs_grad() const { return node != nullptr || grad_req != GradReq::kNull; }
};

// A gradient rule supplied at run time by a binding (autograd.Function): given the output gradients, returns
// one gradient per input (undefined where none flows).
using CustomGradFn = std::function<std::vector<Tensor>(const std::vector<Tensor>& out_grads)>;

struct GradNode {
  const OpDef* op = nullptr;  // null for a custom function
  CustomGradFn custom;
  OpAttrs attrs;
  std::vector<Tensor> inputs;                 // as given to the forward, autograd state included
  std::vector<Tensor> outputs;                // detached values (no cycle back to this node)
  std::vector<std::weak_ptr<AGInfo>> out_ag;  // the outputs' autograd state, for create_graph
  bool freed = false;                         // saved arrays released by a backward without retain_graph
};

// While backward runs a gradient rule: whether the gradient of the node's input i will be used (the input is
// a leaf with a gradient buffer or was computed from one). Rules skip work for the others (FullyConnected's
// data gradient for the first layer). Outside backward, true.
bool input_grad_needed(size_t i);

// Marks t as a leaf whose gradient is kept in a zero-initialised buffer (grad_req kNull removes that).
void attach_grad(const Tensor& t, GradReq req);
// The gradient buffer of a leaf (undefined when none is attached).
Tensor grad_of(const Tensor& t);
// Called by invoke() while recording.
void record_op(const OpDef& op, const OpAttrs& attrs, const std::vector<Tensor>& inputs,
               const std::vector<Tensor>& outputs);

// Records outputs as computed from inputs by a function whose gradient is fn (autograd.Function).
void record_custom(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, CustomGradFn fn);

// Backpropagates from heads; head_grads[i] may be undefined (ones). Writes/adds leaf gradients.
void backward(const std::vector<Tensor>& heads, const std::vector<Tensor>& head_grads, bool retain_graph,
              bool create_graph, bool train_mode);
// Gradients of heads with respect to variables (leaves or recorded arrays), returned instead of stored.
std::vector<Tensor> grad(const std::vector<Tensor>& heads, const std::vector<Tensor>& head_grads,
                         const std::vector<Tensor>& variables, bool retain_graph, bool create_graph, bool train_mode);

}  // namespace braid
