// dtype conversion and copies.
#include "ops/kernel_util.h"
#include "ops/op_call.h"

namespace braid {

void register_cast_ops(Registry& r) {
  using Tensors = std::vector<Tensor>;
  r.add("cast")
      .alias("Cast")
      .describe("Converts data to dtype. Floats convert to integers by truncation; to bool by != 0.")
      .inputs({"data"})
      .attr_dtype("dtype", DType::kFloat32, "target dtype")
      .set_infer([](const OpAttrs& a, const std::vector<TensorMeta>& in, std::vector<TensorMeta>* out) {
        (*out)[0].shape = in[0].shape;
        (*out)[0].dtype = a.get_dtype("dtype");
      })
      .set_cpu([](const OpContext&, const OpAttrs&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        copy_into(in[0], out[0]);
      });

  r.add("_copy")
      .alias("identity")
      .describe("A copy of data (contiguous, same dtype).")
      .inputs({"data"})
      .set_infer(infer_same_as_input0)
      .set_cpu([](const OpContext&, const OpAttrs&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        copy_into(in[0], out[0]);
      });
  r.def("cast").set_grad([](const OpAttrs&, const Tensors& in, const Tensors&, const Tensors& og) {
    return Tensors{call("cast", {og[0]}, {{"dtype", in[0].dtype()}})};
  });
  r.def("_copy").set_grad([](const OpAttrs&, const Tensors&, const Tensors&, const Tensors& og) { return og; });
}

}  // namespace braid
