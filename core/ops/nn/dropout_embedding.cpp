// Dropout (inverted: kept elements are scaled by 1 / (1 - p)) and Embedding (row lookup with a dense
// scatter-add gradient). Dropout draws one Philox counter per mask element, so the mask depends only on the
// stream's seed and position, never on the thread count.
#include <cmath>

#include "backends/cpu/philox.h"
#include "ops/nn/nn_basic.h"
#include "ops/op_call.h"

namespace braid {

namespace {

using nn::Metas;
using nn::Tensors;

// The mask's shape: data's, with size 1 on the axes the mask is shared along.
Shape dropout_mask_shape(const OpAttrs& a, const Shape& s) {
  Shape m = s;
  for (int64_t ax : a.get_tuple("axes"))
    m[nn::normalize_axis("Dropout", ax, static_cast<int>(s.size()))] = 1;
  return m;
}

void dropout_infer(const OpAttrs& a, const Metas& in, Metas* out) {
  nn::check_float_input("Dropout", "data", in[0].dtype);
  const double p = a.get_float("p");
  BRAID_CHECK(p >= 0.0 && p <= 1.0, kValue, "Dropout: p must be in [0, 1], got ", p);
  (*out)[0] = in[0];
  (*out)[1] = {dropout_mask_shape(a, in[0].shape), in[0].dtype};
}

void dropout_kernel(const OpContext& ctx, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const double p = a.get_float("p");
  const bool active = (ctx.is_train || a.get_str("mode") == "always") && p > 0.0;
  dispatch_float(in[0].dtype(), "Dropout", [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor mask = out[1].is_contiguous() ? out[1] : Tensor::empty(out[1].shape(), out[1].dtype(), out[1].ctx());
    T* pm = mask.data<T>();
    const int64_t n = mask.numel();
    if (!active) {
      std::fill(pm, pm + n, static_cast<T>(1.0f));
    } else {
      // keep when u >= p, u uniform in [0, 1) with 24 bits (53 for float64).
      const bool wide = std::is_same<T, double>::value;
      const T keep = static_cast<T>(p >= 1.0 ? 0.0 : 1.0 / (1.0 - p));
      const uint64_t key = ctx.rng_seed, offset = ctx.rng_offset;
      parallel_for(n, 4096, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          const Philox4x32 w = philox4x32_10(offset + static_cast<uint64_t>(i), key);
          const double u = wide ? uniform53(w.v[0], w.v[1]) : static_cast<double>(uniform24(w.v[0]));
          pm[i] = u >= p ? keep : static_cast<T>(0.0f);
        }
      });
    }
    if (mask.impl() != out[1].impl())
      copy_into(mask, out[1]);
    map_binary<T, T, T>(out[0], in[0], mask, [](auto x, auto m) { return x * m; });
  });
}

void embedding_infer(const OpAttrs& a, const Metas& in, Metas* out) {
  const int64_t n = a.get_int("input_dim"), d = a.get_int("output_dim");
  BRAID_CHECK(n >= 1 && d >= 1, kValue, "Embedding: input_dim and output_dim must be positive, got ", n, " and ", d);
  BRAID_CHECK(in[1].shape == (Shape{n, d}), kValue, "Embedding: input 'weight' has shape ", shape_str(in[1].shape),
              ", expected (input_dim, output_dim) = ", shape_str(Shape{n, d}));
  nn::check_float_input("Embedding", "weight", in[1].dtype);
  Shape s = in[0].shape;
  s.push_back(d);
  (*out)[0] = {s, in[1].dtype};
}

// Indices as int64, clipped to [0, input_dim) like MXNet (data often holds them as floats).
Tensor embedding_indices(const Tensor& data, int64_t input_dim) {
  Tensor idx = Tensor::empty(data.shape(), DType::kInt64, data.ctx());  // a copy: clipped below
  copy_into(data, idx);
  int64_t* p = idx.data<int64_t>();
  for (int64_t i = 0; i < idx.numel(); ++i)
    p[i] = std::min<int64_t>(std::max<int64_t>(p[i], 0), input_dim - 1);
  return idx;
}

void embedding_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const int64_t n = a.get_int("input_dim"), d = a.get_int("output_dim");
  Tensor idx = embedding_indices(in[0], n);
  dispatch_float(in[1].dtype(), "Embedding", [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor w = contiguous(in[1]), y = nn::out_buffer(out[0], out[0].dtype());
    const T* pw = w.data<T>();
    T* py = y.data<T>();
    const int64_t* pi = idx.data<int64_t>();
    parallel_for(idx.numel(), std::max<int64_t>(1, kParallelGrain / d), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        std::copy(pw + pi[i] * d, pw + pi[i] * d + d, py + i * d);
    });
    nn::finish_out(y, out[0]);
  });
}

// d weight[k] = sum of the output-gradient rows whose index is k. Threads split the columns, so each owns
// its slice of every row: no atomics, and the sum order (index order) does not depend on the thread count.
void embedding_backward(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const int64_t n = a.get_int("input_dim"), d = a.get_int("output_dim");
  Tensor idx = embedding_indices(in[1], n);
  const DType ct = nn::compute_dtype(in[0].dtype());
  nn::dispatch_compute(in[0].dtype(), "_backward_Embedding", [&](auto tag) {
    using C = typename decltype(tag)::type;
    Tensor g = contiguous_as(in[0], ct), gw = nn::out_buffer(out[0], ct);
    const C* pg = g.data<C>();
    C* pw = gw.data<C>();
    const int64_t* pi = idx.data<int64_t>();
    const int64_t rows = idx.numel();
    std::fill(pw, pw + n * d, C(0));
    parallel_for(d, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(rows, 1)), [&](int64_t b, int64_t e) {
      for (int64_t i = 0; i < rows; ++i) {
        const C* src = pg + i * d;
        C* dst = pw + pi[i] * d;
        for (int64_t j = b; j < e; ++j)
          dst[j] += src[j];
      }
    });
    nn::finish_out(gw, out[0]);
  });
}

}  // namespace

void register_dropout_embedding_ops(Registry& r) {
  r.add("Dropout")
      .describe(
          "Inverted dropout: in training mode (or mode='always') each element is zeroed with probability p and "
          "the rest scaled by 1 / (1 - p); otherwise the identity. Outputs the result and the mask it used "
          "(shared along axes).")
      .inputs({"data"})
      .outputs(2)
      .visible_outputs(1)
      .attr_float("p", 0.5, "probability of dropping an element")
      .attr_string("mode", "training", {"training", "always"}, "drop only in training mode, or always")
      .attr_tuple("axes", {}, "axes along which the mask is shared (variational dropout)")
      .attr_bool("cudnn_off", false, "accepted for MXNet compatibility")
      .set_infer(dropout_infer)
      .set_cpu(dropout_kernel)
      .set_rng(1)
      .set_grad([](const OpAttrs&, const Tensors&, const Tensors& out, const Tensors& og) {
        return Tensors{call("broadcast_mul", {og[0], out[1]})};
      });

  r.add("Embedding")
      .describe("Looks up rows of weight (input_dim, output_dim) at the indices in data (clipped to the range).")
      .inputs({"data", "weight"})
      .attr_int_required("input_dim", "number of rows of weight (vocabulary size)")
      .attr_int_required("output_dim", "size of each embedding vector")
      .attr_dtype("dtype", DType::kFloat32, "accepted for MXNet compatibility (the output has weight's dtype)")
      .attr_bool("sparse_grad", false, "accepted for MXNet compatibility (the weight gradient is always dense)")
      .set_infer(embedding_infer)
      .set_cpu(embedding_kernel)
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
        Tensor gw = call("_backward_Embedding", {og[0], in[0]},
                         {{"input_dim", a.get_int("input_dim")}, {"output_dim", a.get_int("output_dim")}});
        return Tensors{Tensor(), gw};
      });

  r.add("_backward_Embedding")
      .describe("Gradient of Embedding with respect to weight: rows of out_grad summed by index.")
      .inputs({"out_grad", "data"})
      .attr_int_required("input_dim", "number of rows of weight")
      .attr_int_required("output_dim", "size of each embedding vector")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        nn::check_float_input("_backward_Embedding", "out_grad", in[0].dtype);
        (*out)[0] = {Shape{a.get_int("input_dim"), a.get_int("output_dim")}, in[0].dtype};
      })
      .set_cpu(embedding_backward);
}

}  // namespace braid
