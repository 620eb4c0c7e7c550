// FullyConnected (MXNet): out = data * weight^T + bias, weight being (num_hidden, in_units). With flatten=True
// the data is read as (batch, prod(other dims)); with flatten=False the product runs over the last axis and
// the leading axes are kept. no_bias=True drops the bias input (the op declares it optional).
#include "autograd/autograd.h"
#include "backends/cpu/gemm.h"
#include "ops/nn/nn_basic.h"
#include "ops/op_call.h"

namespace braid {

namespace {

using nn::Metas;
using nn::Tensors;

// rows x in_units, the matrix view of the data.
void fc_dims(const OpAttrs& a, const Shape& data, int64_t* rows, int64_t* in_units) {
  BRAID_CHECK(!data.empty(), kValue, "FullyConnected: input 'data' must have at least 1 dimension, got a scalar");
  if (a.get_bool("flatten")) {
    *rows = data[0];
    *in_units = 1;
    for (size_t d = 1; d < data.size(); ++d)
      *in_units *= data[d];
  } else {
    *in_units = data.back();
    *rows = 1;
    for (size_t d = 0; d + 1 < data.size(); ++d)
      *rows *= data[d];
  }
}

void fc_infer(const OpAttrs& a, const Metas& in, Metas* out) {
  const int64_t hidden = a.get_int("num_hidden");
  BRAID_CHECK(hidden >= 1, kValue, "FullyConnected: num_hidden must be positive, got ", hidden);
  const bool no_bias = a.get_bool("no_bias");
  BRAID_CHECK(!no_bias || in.size() == 2, kValue, "FullyConnected: no_bias=True takes no 'bias' input, got 3 inputs");
  BRAID_CHECK(no_bias || in.size() == 3, kValue,
              "FullyConnected: missing input 'bias' (pass no_bias=True to use the op without one)");
  const Shape& data = in[0].shape;
  int64_t rows = 0, k = 0;
  fc_dims(a, data, &rows, &k);
  const Shape want_w{hidden, k};
  BRAID_CHECK(in[1].shape == want_w, kValue, "FullyConnected: input 'weight' has shape ", shape_str(in[1].shape),
              ", expected (num_hidden, in_units) = ", shape_str(want_w), " for data of shape ", shape_str(data));
  if (!no_bias) {
    BRAID_CHECK(in[2].shape == Shape{hidden}, kValue, "FullyConnected: input 'bias' has shape ", shape_str(in[2].shape),
                ", expected (num_hidden,) = ", shape_str(Shape{hidden}));
  }
  nn::check_float_input("FullyConnected", "data", in[0].dtype);
  for (size_t i = 1; i < in.size(); ++i) {
    BRAID_CHECK(in[i].dtype == in[0].dtype, kType, "FullyConnected: input '", i == 1 ? "weight" : "bias",
                "' has dtype ", dtype_name(in[i].dtype), " but 'data' has ", dtype_name(in[0].dtype));
  }
  Shape os;
  if (a.get_bool("flatten")) {
    os = {data[0], hidden};
  } else {
    os.assign(data.begin(), data.end() - 1);
    os.push_back(hidden);
  }
  (*out)[0] = {os, in[0].dtype};
}

void fc_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const int64_t hidden = a.get_int("num_hidden");
  int64_t rows = 0, k = 0;
  fc_dims(a, in[0].shape(), &rows, &k);
  const DType ct = nn::compute_dtype(in[0].dtype());
  nn::dispatch_compute(in[0].dtype(), "FullyConnected", [&](auto tag) {
    using C = typename decltype(tag)::type;
    Tensor x = contiguous_as(in[0], ct), w = contiguous_as(in[1], ct);
    Tensor y = nn::out_buffer(out[0], ct);
    C* py = y.data<C>();
    if (rows > 0) {
      if (k == 0) {
        std::fill(py, py + rows * hidden, C(0));
      } else {
        gemm(false, true, rows, hidden, k, C(1), x.data<C>(), k, w.data<C>(), k, C(0), py, hidden);
      }
      if (in.size() == 3) {
        Tensor b = contiguous_as(in[2], ct);
        const C* pb = b.data<C>();
        parallel_for(rows, std::max<int64_t>(1, kParallelGrain / hidden), [&](int64_t s, int64_t e) {
          for (int64_t i = s; i < e; ++i) {
            C* row = py + i * hidden;
            for (int64_t j = 0; j < hidden; ++j)
              row[j] += pb[j];
          }
        });
      }
    }
    nn::finish_out(y, out[0]);
  });
}

// With G the output gradient as (rows, hidden) and X the data as (rows, in_units):
// d data = G W, d weight = G^T X, d bias = sum of G's rows.
Tensors fc_grad(const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
  const int64_t hidden = a.get_int("num_hidden");
  int64_t rows = 0, k = 0;
  fc_dims(a, in[0].shape(), &rows, &k);
  Tensor g = call("reshape", {og[0]}, {{"shape", std::vector<int64_t>{rows, hidden}}});
  Tensor x = call("reshape", {in[0]}, {{"shape", std::vector<int64_t>{rows, k}}});
  const Shape& ds = in[0].shape();
  Tensors grads(in.size());
  if (input_grad_needed(0))  // not for the first layer's data
    grads[0] = call("reshape", {call("dot", {g, in[1]})}, {{"shape", std::vector<int64_t>(ds.begin(), ds.end())}});
  if (input_grad_needed(1))
    grads[1] = call("dot", {g, x}, {{"transpose_a", true}});
  if (in.size() == 3 && input_grad_needed(2))
    grads[2] = call("sum", {g}, {{"axis", std::vector<int64_t>{0}}});
  return grads;
}

}  // namespace

void register_fully_connected_op(Registry& r) {
  r.add("FullyConnected")
      .describe(
          "Fully connected layer: out = data * weight^T + bias, weight of shape (num_hidden, in_units). "
          "flatten=True reads data as (batch, in_units) with in_units the product of the other axes; "
          "flatten=False applies the layer along the last axis. With no_bias=True, bias is omitted.")
      .inputs({"data", "weight", "bias"})
      .optional_inputs(1)
      .attr_int_required("num_hidden", "number of output units")
      .attr_bool("no_bias", false, "whether the layer has no bias input")
      .attr_bool("flatten", true, "collapse all but the first axis of data into one")
      .set_infer(fc_infer)
      .set_cpu(fc_kernel)
      .set_grad(fc_grad);
}

}  // namespace braid
