// A graph planned for one set of input shapes on the CPU, for inference: every step's output array is
// allocated once (a value's buffer goes to a later step of the same size once its last reader has run, and an
// elementwise step writes over its dying input), and each call runs the kernels one after the other in the
// caller's thread, without the engine. For a single image the per-op bookkeeping of the general path
// (inference, allocation, engine hand-off) costs as much as the arithmetic; the predictor uses this instead.
#pragma once
#include <memory>
#include <vector>

#include "graph/executor.h"

namespace braid {

class StaticPlan {
 public:
  // Null when the graph cannot run this way (not on the CPU, or a step has no CPU kernel). inputs: shape and
  // dtype per graph input, in exec.input_names() order. Steps that draw random numbers (Dropout with
  // mode='always') still go through invoke(), which gives them their place in the random stream.
  static std::unique_ptr<StaticPlan> make(const GraphExecutor& exec, const std::vector<TensorMeta>& inputs,
                                          Context ctx);

  // inputs must have the planned shapes and dtypes. The returned arrays are this plan's own buffers: the next
  // run() overwrites them, so copy what must outlive it. One run at a time.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);

 private:
  struct Step {
    const OpDef* op;
    const Node* node;
    bool through_engine = false;
    std::vector<Tensor> in, out;
    std::vector<std::pair<int, int>> graph_inputs;  // (position in `in`, graph input index), set per run
  };
  StaticPlan() = default;
  std::vector<TensorMeta> input_meta_;
  std::vector<Step> steps_;
  std::vector<Tensor> heads_;
  std::vector<int> head_inputs_;  // per head: the graph input it is, or -1
  Context ctx_;
};

}  // namespace braid
