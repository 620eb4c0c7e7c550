// Runs a Symbol as one call: the graph is planned once (topological order, which value each step reads, when
// each intermediate dies), then every call walks the plan in C++, invoking the registered ops through the same
// path as imperative calls. While autograd records, each step is recorded on the tape, so backward runs
// through the graph with the ops' own gradient rules; outside recording, each intermediate is released at its
// last use and its memory goes back to the pool for the next step, so peak memory stays near the largest
// live set. This is hybridize()'s cached op and the engine of the prediction API.
#pragma once
#include <string>
#include <vector>

#include "graph/symbol.h"

namespace braid {

class GraphExecutor {
 public:
  explicit GraphExecutor(const Symbol& sym);

  // Inputs in input_names() order (every variable, arguments and auxiliary states as they appear).
  const std::vector<std::string>& input_names() const { return input_names_; }
  size_t num_outputs() const { return heads_.size(); }
  // ctx places ops without inputs when the graph has no inputs.
  std::vector<Tensor> forward(const std::vector<Tensor>& inputs, Context ctx = Context::cpu()) const;
  const Symbol& symbol() const { return sym_; }

  // The plan, for other ways of running it (StaticPlan). Slots 0..inputs-1 are the graph inputs; each step's
  // outputs take the next slots.
  struct Step {
    const Node* node;
    std::vector<int> in_slots;
    int out_slot;                    // first of node->num_outputs() consecutive slots
    std::vector<int> release;        // slots whose last reader is this step
    bool inplace_candidate = false;  // input 0 dies here: an elementwise op may write into it
  };
  const std::vector<Step>& steps() const { return steps_; }
  const std::vector<int>& head_slots() const { return head_slots_; }
  int num_slots() const { return num_slots_; }

 private:
  std::vector<Tensor> inplace_target(const Step& s, const std::vector<Tensor>& values, bool recording) const;
  Symbol sym_;
  std::vector<std::string> input_names_;
  std::vector<Step> steps_;
  std::vector<int> head_slots_;
  std::vector<NodeEntry> heads_;
  int num_slots_ = 0;
};

}  // namespace braid
