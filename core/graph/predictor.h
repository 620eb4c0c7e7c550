// Deployment: a model from symbol JSON and .params bytes, run on fixed input shapes in inference mode. This is
// what the prediction C API (R, JavaScript, C programs) wraps.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/executor.h"
#include "graph/static_plan.h"

namespace braid {

class Predictor {
 public:
  // Parameters are found as arg:NAME / aux:NAME or NAME. Every graph input that is not data must be there with
  // the shape inference expects; extra parameters are ignored.
  Predictor(const std::string& symbol_json, const void* params, size_t params_size, Context ctx,
            const std::map<std::string, Shape>& input_shapes);
  // The same model for new input shapes, sharing the parameter arrays.
  std::unique_ptr<Predictor> reshape(const std::map<std::string, Shape>& input_shapes) const;

  void set_input(const std::string& name, const float* data, size_t size);
  void forward();
  size_t num_outputs() const { return out_shapes_.size(); }
  const Shape& output_shape(size_t i) const;
  void get_output(size_t i, float* data, size_t size) const;

 private:
  Predictor() = default;
  void plan(const std::map<std::string, Shape>& input_shapes);

  Context ctx_;
  std::shared_ptr<GraphExecutor> exec_;
  std::map<std::string, Tensor> params_;  // by graph input name
  std::vector<Tensor> inputs_;            // per graph input: a parameter or a data buffer
  std::map<std::string, size_t> data_index_;
  std::vector<Shape> out_shapes_;
  std::vector<Tensor> outputs_;
  std::unique_ptr<StaticPlan> static_;  // on the CPU (unless BRAID_PREDICTOR_STATIC=0): runs without the engine
};

}  // namespace braid
