#include "graph/predictor.h"

#include <cstdlib>
#include <cstring>

#include "autograd/mode.h"
#include "engine/engine.h"
#include "io/params_format.h"
#include "ops/kernel_util.h"
#include "ops/op_call.h"
#include "ops/transfer.h"

namespace braid {

namespace {

// Restores the thread's autograd modes when forward returns or throws.
struct InferenceMode {
  bool rec = set_recording(false);
  bool train = set_training(false);
  ~InferenceMode() {
    set_recording(rec);
    set_training(train);
  }
};

}  // namespace

Predictor::Predictor(const std::string& symbol_json, const void* params, size_t params_size, Context ctx,
                     const std::map<std::string, Shape>& input_shapes)
    : ctx_(ctx) {
  exec_ = std::make_shared<GraphExecutor>(Symbol::from_json(symbol_json));
  NDArrayList list = load_ndarray_list(params, params_size);
  BRAID_CHECK(list.names.size() == list.arrays.size(), kIO,
              "Predictor: the parameter file has no names (expected arg:NAME / aux:NAME entries)");
  std::map<std::string, Tensor> by_name;
  for (size_t i = 0; i < list.arrays.size(); ++i) {
    std::string n = list.names[i];
    if (n.compare(0, 4, "arg:") == 0 || n.compare(0, 4, "aux:") == 0)
      n = n.substr(4);
    by_name[n] = list.arrays[i];
  }
  for (const auto& kv : input_shapes) {
    bool found = false;
    for (const std::string& n : exec_->input_names())
      found = found || n == kv.first;
    BRAID_CHECK(found, kValue, "Predictor: the graph has no input '", kv.first, "'");
  }
  for (const std::string& name : exec_->input_names()) {
    if (input_shapes.count(name))
      continue;
    auto it = by_name.find(name);
    BRAID_CHECK(it != by_name.end(), kValue, "Predictor: the parameter file has no '", name, "' (looked for arg:", name,
                " and aux:", name, "); the graph needs it");
    params_[name] = ctx.is_cpu() && ctx.id == 0 ? it->second : copy_to_device(it->second, ctx);
  }
  plan(input_shapes);
}

void Predictor::plan(const std::map<std::string, Shape>& input_shapes) {
  for (const auto& kv : input_shapes) {
    bool found = false;
    for (const std::string& n : exec_->input_names())
      found = found || n == kv.first;
    BRAID_CHECK(found, kValue, "Predictor: the graph has no input '", kv.first, "'");
  }
  std::map<std::string, Shape> shapes = input_shapes;
  for (const auto& kv : params_)
    shapes[kv.first] = kv.second.shape();
  std::map<std::string, DType> dtypes;
  for (const auto& kv : params_)
    dtypes[kv.first] = kv.second.dtype();
  InferResult r = infer_graph(exec_->symbol(), shapes, dtypes, false);
  inputs_.clear();
  data_index_.clear();
  const auto& names = exec_->input_names();
  for (size_t i = 0; i < names.size(); ++i) {
    auto p = params_.find(names[i]);
    if (p != params_.end()) {
      inputs_.push_back(p->second);
    } else {
      inputs_.push_back(call("zeros", {}, {{"shape", r.inputs[i].shape}, {"dtype", DType::kFloat32}}, ctx_));
      data_index_[names[i]] = i;
    }
  }
  out_shapes_.clear();
  for (const TensorMeta& m : r.outputs)
    out_shapes_.push_back(m.shape);
  outputs_.clear();
  std::vector<TensorMeta> metas;
  for (const Tensor& t : inputs_)
    metas.push_back({t.shape(), t.dtype()});
  const char* env = std::getenv("BRAID_PREDICTOR_STATIC");  // "0": the general executor, for comparisons
  static_ = env && std::string(env) == "0" ? nullptr : StaticPlan::make(*exec_, metas, ctx_);
}

std::unique_ptr<Predictor> Predictor::reshape(const std::map<std::string, Shape>& input_shapes) const {
  std::unique_ptr<Predictor> p(new Predictor());
  p->ctx_ = ctx_;
  p->exec_ = exec_;
  p->params_ = params_;
  p->plan(input_shapes);
  return p;
}

void Predictor::set_input(const std::string& name, const float* data, size_t size) {
  auto it = data_index_.find(name);
  BRAID_CHECK(it != data_index_.end(), kValue, "Predictor.set_input: '", name, "' is not a data input of the model");
  Tensor& t = inputs_[it->second];
  BRAID_CHECK(static_cast<int64_t>(size) == t.numel(), kValue, "Predictor.set_input: input '", name, "' has shape ",
              shape_str(t.shape()), " (", t.numel(), " values), got ", size, " values");
  BRAID_CHECK(data != nullptr || size == 0, kValue, "Predictor.set_input: data is NULL");
  // The caller's buffer is copied now: it may change or go away once this returns.
  Tensor host = Tensor::empty(t.shape(), DType::kFloat32, Context::cpu());
  if (size) {
    Tensor src = Tensor::from_external(const_cast<float*>(data), t.shape(), contiguous_strides(t.shape()),
                                       DType::kFloat32, Context::cpu(), nullptr);
    copy_into(src, host);
  }
  t = ctx_.is_cpu() && ctx_.id == 0 ? host : copy_to_device(host, ctx_);
}

void Predictor::forward() {
  InferenceMode mode;
  outputs_ = static_ ? static_->run(inputs_) : exec_->forward(inputs_, ctx_);
}

const Shape& Predictor::output_shape(size_t i) const {
  BRAID_CHECK(i < out_shapes_.size(), kIndex, "Predictor: output ", i, " is out of range (", out_shapes_.size(),
              " outputs)");
  return out_shapes_[i];
}

void Predictor::get_output(size_t i, float* data, size_t size) const {
  const Shape& s = output_shape(i);
  BRAID_CHECK(!outputs_.empty(), kValue, "Predictor.get_output: call forward first");
  Tensor o = outputs_[i];
  BRAID_CHECK(static_cast<int64_t>(size) == o.numel(), kValue, "Predictor.get_output: output ", i, " has shape ",
              shape_str(s), " (", o.numel(), " values), the buffer holds ", size);
  if (o.dtype() != DType::kFloat32 || !o.ctx().is_cpu())
    o = copy_to_device(call("cast", {o}, {{"dtype", DType::kFloat32}}), Context::cpu());
  Tensor dst =
      Tensor::from_external(data, o.shape(), contiguous_strides(o.shape()), DType::kFloat32, Context::cpu(), nullptr);
  Engine::get().wait_for_var(o.var_ptr());
  if (size)
    copy_into(o, dst);
}

}  // namespace braid
