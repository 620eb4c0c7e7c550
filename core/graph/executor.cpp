#include "graph/executor.h"

#include <unordered_map>

#include "autograd/mode.h"
#include "ops/invoke.h"

namespace braid {

GraphExecutor::GraphExecutor(const Symbol& sym) : sym_(sym), heads_(sym.outputs) {
  BRAID_CHECK(!sym.outputs.empty(), kValue, "GraphExecutor: the symbol has no outputs");
  std::vector<NodePtr> topo = sym.topo_order();
  std::unordered_map<const Node*, int> first_slot;
  // Inputs first, so slot i is input i.
  for (const NodePtr& n : topo) {
    if (n->is_variable()) {
      first_slot[n.get()] = num_slots_++;
      input_names_.push_back(n->name);
    }
  }
  for (const NodePtr& n : topo) {
    if (n->is_variable())
      continue;
    Step s;
    s.node = n.get();
    for (const NodeEntry& e : n->inputs)
      s.in_slots.push_back(first_slot.at(e.node.get()) + static_cast<int>(e.index));
    s.out_slot = num_slots_;
    first_slot[n.get()] = num_slots_;
    num_slots_ += n->num_outputs();
    steps_.push_back(std::move(s));
  }
  for (const NodeEntry& h : heads_)
    head_slots_.push_back(first_slot.at(h.node.get()) + static_cast<int>(h.index));
  // Each intermediate dies after its last reader unless it is an output; inputs belong to the caller.
  std::vector<int> last_use(num_slots_, -1);
  for (size_t k = 0; k < steps_.size(); ++k) {
    for (int slot : steps_[k].in_slots)
      last_use[slot] = static_cast<int>(k);
  }
  std::vector<bool> keep(num_slots_, false);
  for (int h : head_slots_)
    keep[h] = true;
  for (size_t i = 0; i < input_names_.size(); ++i)
    keep[i] = true;
  for (int slot = 0; slot < num_slots_; ++slot) {
    if (!keep[slot] && last_use[slot] >= 0)
      steps_[last_use[slot]].release.push_back(slot);
  }
  // A step may write over its first input when that input is an intermediate this step is the last to read.
  for (Step& s : steps_) {
    if (s.in_slots.empty())
      continue;
    const int x = s.in_slots[0];
    for (int r : s.release)
      s.inplace_candidate = s.inplace_candidate || r == x;
  }
  // Outputs nobody reads (BatchNorm's saved statistics, Dropout's mask) die right after their step.
  for (size_t k = 0; k < steps_.size(); ++k) {
    const Step& s = steps_[k];
    for (int j = 0; j < s.node->num_outputs(); ++j) {
      int slot = s.out_slot + j;
      if (!keep[slot] && last_use[slot] < 0)
        steps_[k].release.push_back(slot);
    }
  }
}

// Output 0 of an elementwise step may reuse input 0's buffer when nothing else needs that value: it is an
// intermediate (not a graph input or output) whose last reader is this step, no other live value shares its
// storage (views), autograd is not saving it for backward, and shape and dtype match the output's. The engine
// orders the overwrite after every pending use of the buffer, as for any write.
std::vector<Tensor> GraphExecutor::inplace_target(const Step& s, const std::vector<Tensor>& values,
                                                  bool recording) const {
  if (recording || !s.node->op->inplace_ok || s.node->num_outputs() != 1 || s.in_slots.empty() || !s.inplace_candidate)
    return {};
  const Tensor& x = values[s.in_slots[0]];
  if (!x.defined() || !x.impl()->storage || !x.is_contiguous())
    return {};
  const Storage* st = x.impl()->storage.get();
  for (size_t k = 0; k < values.size(); ++k) {
    if (static_cast<int>(k) != s.in_slots[0] && values[k].defined() && values[k].impl()->storage.get() == st)
      return {};
  }
  // The output must look exactly like the input: check with the op's own inference.
  std::vector<TensorMeta> in_meta(s.in_slots.size()), out_meta(1);
  for (size_t k = 0; k < s.in_slots.size(); ++k)
    in_meta[k] = {values[s.in_slots[k]].shape(), values[s.in_slots[k]].dtype()};
  s.node->op->infer(s.node->attrs, in_meta, &out_meta);
  if (out_meta[0].shape != x.shape() || out_meta[0].dtype != x.dtype())
    return {};
  return {x.detached()};
}

std::vector<Tensor> GraphExecutor::forward(const std::vector<Tensor>& inputs, Context ctx) const {
  BRAID_CHECK(inputs.size() == input_names_.size(), kValue, "cached graph: expected ", input_names_.size(),
              " input(s), got ", inputs.size());
  std::vector<Tensor> values(num_slots_);
  for (size_t i = 0; i < inputs.size(); ++i) {
    BRAID_CHECK(inputs[i].defined(), kValue, "cached graph: input '", input_names_[i], "' is not an array");
    values[i] = inputs[i];
  }
  if (!inputs.empty())
    ctx = inputs[0].ctx();
  const bool recording = is_recording();
  std::vector<Tensor> in;
  for (const Step& s : steps_) {
    in.clear();
    for (int slot : s.in_slots)
      in.push_back(values[slot]);
    std::vector<Tensor> out;
    try {
      out = invoke(*s.node->op, in, s.node->attrs, ctx, inplace_target(s, values, recording));
    } catch (const Error& e) {
      fail(e.kind(), "node '", s.node->name, "': ", e.what());
    }
    for (size_t j = 0; j < out.size(); ++j)
      values[s.out_slot + static_cast<int>(j)] = std::move(out[j]);
    for (int slot : s.release)
      values[slot] = Tensor();
  }
  std::vector<Tensor> result;
  result.reserve(head_slots_.size());
  for (int h : head_slots_)
    result.push_back(values[h]);
  return result;
}

}  // namespace braid
