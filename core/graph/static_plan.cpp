#include "graph/static_plan.h"

#include "engine/engine.h"
#include "ops/invoke.h"

namespace braid {

namespace {

bool same_meta(const TensorMeta& a, const TensorMeta& b) {
  return a.shape == b.shape && a.dtype == b.dtype;
}

// Buffers of the plan, handed out by size: a buffer whose values are all dead serves the next output of the
// same dtype and element count.
class BufferPool {
 public:
  explicit BufferPool(Context ctx) : ctx_(ctx) {}

  int take(const TensorMeta& m) {
    const int64_t n = shape_numel(m.shape);
    for (size_t k = 0; k < free_.size(); ++k) {
      const Tensor& b = bufs_[free_[k]];
      if (b.numel() == n && b.dtype() == m.dtype) {
        int id = free_[k];
        free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(k));
        return id;
      }
    }
    bufs_.push_back(Tensor::empty(Shape{n}, m.dtype, ctx_));
    live_.push_back(0);
    return static_cast<int>(bufs_.size()) - 1;
  }
  void hold(int id) { ++live_[id]; }
  void drop(int id) {
    if (--live_[id] == 0)
      free_.push_back(id);
  }
  int holders(int id) const { return live_[id]; }
  Tensor view(int id, const Shape& shape) const { return bufs_[id].reshape_view(shape); }

 private:
  Context ctx_;
  std::vector<Tensor> bufs_;
  std::vector<int> live_;  // values currently stored in each buffer
  std::vector<int> free_;
};

}  // namespace

std::unique_ptr<StaticPlan> StaticPlan::make(const GraphExecutor& exec, const std::vector<TensorMeta>& inputs,
                                             Context ctx) {
  BRAID_CHECK(inputs.size() == exec.input_names().size(), kValue, "static plan: expected ", exec.input_names().size(),
              " input(s), got ", inputs.size());
  if (!ctx.is_cpu())
    return nullptr;
  const int n_in = static_cast<int>(inputs.size());
  std::unique_ptr<StaticPlan> plan(new StaticPlan());
  plan->input_meta_ = inputs;
  plan->ctx_ = ctx;
  std::vector<TensorMeta> meta(exec.num_slots());
  std::vector<Tensor> value(exec.num_slots());
  std::vector<int> buffer_of(exec.num_slots(), -1);
  for (int i = 0; i < n_in; ++i)
    meta[i] = inputs[i];
  BufferPool pool(ctx);
  std::vector<TensorMeta> in_meta, out_meta;
  for (const GraphExecutor::Step& s : exec.steps()) {
    const OpDef* op = s.node->op;
    if (!op->cpu)
      return nullptr;
    in_meta.clear();
    for (int slot : s.in_slots)
      in_meta.push_back(meta[slot]);
    out_meta.assign(op->output_count(s.node->attrs), TensorMeta());
    try {
      op->infer(s.node->attrs, in_meta, &out_meta);
    } catch (const Error& e) {
      fail(e.kind(), "node '", s.node->name, "': ", e.what());
    }
    Step step;
    step.op = op;
    step.node = s.node;
    step.through_engine = op->needs_rng;  // its place in the context's random stream is taken at the call
    for (size_t k = 0; k < s.in_slots.size(); ++k) {
      const int slot = s.in_slots[k];
      if (slot < n_in)
        step.graph_inputs.emplace_back(static_cast<int>(k), slot);
      step.in.push_back(value[slot]);  // undefined for graph inputs until run()
    }
    for (size_t j = 0; j < out_meta.size(); ++j) {
      const int slot = s.out_slot + static_cast<int>(j);
      meta[slot] = out_meta[j];
      int b = -1;
      const int x = s.in_slots.empty() ? -1 : s.in_slots[0];
      if (j == 0 && out_meta.size() == 1 && op->inplace_ok && s.inplace_candidate && x >= n_in &&
          pool.holders(buffer_of[x]) == 1 && same_meta(meta[x], out_meta[0])) {
        b = buffer_of[x];  // elementwise over its dying input
      } else if (shape_numel(out_meta[j].shape) > 0) {
        b = pool.take(out_meta[j]);
      }
      if (b >= 0) {
        pool.hold(b);
        buffer_of[slot] = b;
        value[slot] = pool.view(b, out_meta[j].shape);
      } else {
        value[slot] = Tensor::empty(out_meta[j].shape, out_meta[j].dtype, ctx);
      }
      step.out.push_back(value[slot]);
    }
    for (int r : s.release) {
      if (r >= n_in && buffer_of[r] >= 0)
        pool.drop(buffer_of[r]);
    }
    plan->steps_.push_back(std::move(step));
  }
  for (int h : exec.head_slots()) {
    plan->heads_.push_back(value[h]);
    plan->head_inputs_.push_back(h < n_in ? h : -1);
  }
  return plan;
}

std::vector<Tensor> StaticPlan::run(const std::vector<Tensor>& inputs) {
  BRAID_CHECK(inputs.size() == input_meta_.size(), kValue, "static plan: expected ", input_meta_.size(),
              " input(s), got ", inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    BRAID_CHECK(
        t.defined() && t.ctx() == ctx_ && t.shape() == input_meta_[i].shape && t.dtype() == input_meta_[i].dtype,
        kValue, "static plan: input ", i, " differs from the planned ", shape_str(input_meta_[i].shape), " ",
        dtype_name(input_meta_[i].dtype), " on ", ctx_.str());
    // Inputs may still be written by queued ops (a copy into the data buffer); the kernels below read them now.
    Engine::get().wait_for_var(t.var_ptr());
  }
  OpContext octx;
  octx.run.ctx = ctx_;
  octx.is_train = false;
  for (Step& s : steps_) {
    for (const auto& g : s.graph_inputs)
      s.in[g.first] = inputs[g.second];
    try {
      if (s.through_engine) {
        invoke(*s.op, s.in, s.node->attrs, ctx_, s.out);
        for (const Tensor& t : s.out)
          Engine::get().wait_for_var(t.var_ptr());
      } else {
        s.op->cpu(octx, s.node->attrs, s.in, s.out);
      }
    } catch (const Error& e) {
      fail(e.kind(), "node '", s.node->name, "': ", e.what());
    }
  }
  std::vector<Tensor> out = heads_;
  for (size_t h = 0; h < out.size(); ++h) {
    if (head_inputs_[h] >= 0)
      out[h] = inputs[head_inputs_[h]];
  }
  return out;
}

}  // namespace braid
