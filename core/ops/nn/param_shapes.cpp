// Backward shape inference for graphs: the shapes of an op's parameters (weights, biases, normalisation
// scales) from its data and attributes, so `sym.infer_shape(data=...)` and `simple_bind` need only the data
// shapes, as in MXNet.
#include "ops/all_ops.h"
#include "ops/registry.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;

// Sets input i to shape s unless the caller already knows it.
void fill(Metas* in, std::vector<bool>* known, size_t i, Shape s) {
  if (i < in->size() && !(*known)[i]) {
    (*in)[i].shape = std::move(s);
    (*in)[i].dtype = (*in)[0].dtype;
    (*known)[i] = true;
  }
}

int64_t channel(const Shape& s, int64_t axis, const char* op) {
  const int64_t nd = static_cast<int64_t>(s.size());
  if (axis < 0)
    axis += nd;
  BRAID_CHECK(axis >= 0 && axis < nd, kValue, op, ": axis is out of range for data of shape ", shape_str(s));
  return s[axis];
}

void per_channel(Registry& r, const char* name, const char* axis_attr, int64_t axis_default, size_t first,
                 size_t last) {
  r.def(name).set_infer_inputs([=](const OpAttrs& a, Metas* in, std::vector<bool>* known) {
    const int64_t axis = axis_attr ? a.get_int(axis_attr) : axis_default;
    const int64_t c = channel((*in)[0].shape, axis, name);
    for (size_t i = first; i <= last; ++i)
      fill(in, known, i, Shape{c});
  });
}

}  // namespace

void register_param_shape_rules(Registry& r) {
  r.def("FullyConnected").set_infer_inputs([](const OpAttrs& a, Metas* in, std::vector<bool>* known) {
    const Shape& x = (*in)[0].shape;
    BRAID_CHECK(!x.empty(), kValue, "FullyConnected: data must have at least one dimension");
    int64_t k = x.back();
    if (a.get_bool("flatten")) {
      k = 1;
      for (size_t i = 1; i < x.size(); ++i)
        k *= x[i];
    }
    const int64_t n = a.get_int("num_hidden");
    fill(in, known, 1, Shape{n, k});
    fill(in, known, 2, Shape{n});
  });
  for (const char* name : {"Convolution", "Deconvolution"}) {
    const bool deconv = name[0] == 'D';
    r.def(name).set_infer_inputs([deconv, name](const OpAttrs& a, Metas* in, std::vector<bool>* known) {
      const Shape& x = (*in)[0].shape;
      const std::vector<int64_t>& kernel = a.get_tuple("kernel");
      BRAID_CHECK(x.size() == kernel.size() + 2, kValue, name, ": data of shape ", shape_str(x), " does not match a ",
                  kernel.size(), "-D kernel");
      const int64_t f = a.get_int("num_filter"), g = a.get_int("num_group");
      BRAID_CHECK(g > 0 && x[1] % g == 0 && f % g == 0, kValue, name, ": num_group ", g,
                  " must divide the data's channels ", x[1], " and num_filter ", f);
      Shape w = deconv ? Shape{x[1], f / g} : Shape{f, x[1] / g};
      w.insert(w.end(), kernel.begin(), kernel.end());
      fill(in, known, 1, w);
      fill(in, known, 2, Shape{f});
    });
  }
  per_channel(r, "BatchNorm", "axis", 1, 1, 4);
  per_channel(r, "LayerNorm", "axis", -1, 1, 2);
  per_channel(r, "InstanceNorm", nullptr, 1, 1, 2);
  per_channel(r, "GroupNorm", nullptr, 1, 1, 2);
  r.def("Embedding").set_infer_inputs([](const OpAttrs& a, Metas* in, std::vector<bool>* known) {
    fill(in, known, 1, Shape{a.get_int("input_dim"), a.get_int("output_dim")});
  });
  r.def("LeakyReLU").set_infer_inputs([](const OpAttrs& a, Metas* in, std::vector<bool>* known) {
    fill(in, known, 1, Shape{channel((*in)[0].shape, 1, "LeakyReLU")});
  });
}

}  // namespace braid
