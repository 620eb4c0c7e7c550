// LRN, MXNet's local response normalisation across channels (axis 1):
//   y[c] = x[c] * scale[c]^-beta,  scale[c] = knorm + alpha/nsize * sum_{|c'-c| <= nsize/2} x[c']^2
// and its fused backward. Work is split over the samples (and positions for large inputs); math is in double.
#include <cmath>

#include "ops/nn/norm_util.h"
#include "ops/op_call.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

struct LrnParams {
  double alpha, beta, knorm;
  int64_t half;  // nsize / 2
  int64_t nsize;
  explicit LrnParams(const OpAttrs& a)
      : alpha(a.get_float("alpha")),
        beta(a.get_float("beta")),
        knorm(a.get_float("knorm")),
        half(a.get_int("nsize") / 2),
        nsize(a.get_int("nsize")) {}
};

// scale at (n, c, s) for one (n, s) column of C channels with stride S.
template <typename T>
void column_scale(const T* x, int64_t C, int64_t S, const LrnParams& p, double* scale) {
  for (int64_t c = 0; c < C; ++c) {
    double acc = 0;
    for (int64_t k = std::max<int64_t>(0, c - p.half); k <= std::min<int64_t>(C - 1, c + p.half); ++k) {
      const double v = static_cast<double>(x[k * S]);
      acc += v * v;
    }
    scale[c] = p.knorm + p.alpha / p.nsize * acc;
  }
}

void lrn_forward(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const LrnParams p(a);
  const Shape& s = in[0].shape();
  const int64_t N = s[0], C = s[1], S = norm::span(s, 2, in[0].ndim());
  Tensor x = contiguous(in[0]);
  Tensor y = norm::out_buffer(out[0]);
  dispatch_float(x.dtype(), "LRN", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    parallel_for(N * S, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(C * p.nsize, 1)),
                 [&](int64_t b, int64_t e) {
                   std::vector<double> scale(C);
                   for (int64_t col = b; col < e; ++col) {
                     const int64_t off = (col / S) * C * S + col % S;
                     column_scale(xp + off, C, S, p, scale.data());
                     for (int64_t c = 0; c < C; ++c) {
                       const double v = static_cast<double>(xp[off + c * S]);
                       yp[off + c * S] = static_cast<T>(static_cast<compute_t<T>>(v * std::pow(scale[c], -p.beta)));
                     }
                   }
                 });
  });
  norm::finish(y, out[0]);
}

// dx[c] = dy[c]*scale[c]^-beta - 2*alpha*beta/nsize * x[c] * sum_{|c'-c| <= nsize/2} dy[c']*x[c']*scale[c']^(-beta-1)
void lrn_backward(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const LrnParams p(a);
  const Shape& s = in[1].shape();
  const int64_t N = s[0], C = s[1], S = norm::span(s, 2, in[1].ndim());
  Tensor dy = contiguous_as(in[0], in[1].dtype());
  Tensor x = contiguous(in[1]);
  Tensor dx = norm::out_buffer(out[0]);
  const double coef = 2.0 * p.alpha * p.beta / p.nsize;
  dispatch_float(x.dtype(), "_lrn_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = x.data<T>();
    const T* gp = dy.data<T>();
    T* dxp = dx.data<T>();
    parallel_for(
        N * S, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(C * p.nsize, 1)), [&](int64_t b, int64_t e) {
          std::vector<double> scale(C), t(C);
          for (int64_t col = b; col < e; ++col) {
            const int64_t off = (col / S) * C * S + col % S;
            column_scale(xp + off, C, S, p, scale.data());
            for (int64_t c = 0; c < C; ++c) {
              t[c] = static_cast<double>(gp[off + c * S]) * static_cast<double>(xp[off + c * S]) *
                     std::pow(scale[c], -p.beta - 1);
            }
            for (int64_t c = 0; c < C; ++c) {
              double acc = 0;
              for (int64_t k = std::max<int64_t>(0, c - p.half); k <= std::min<int64_t>(C - 1, c + p.half); ++k)
                acc += t[k];
              const double v = static_cast<double>(gp[off + c * S]) * std::pow(scale[c], -p.beta) -
                               coef * static_cast<double>(xp[off + c * S]) * acc;
              dxp[off + c * S] = static_cast<T>(static_cast<compute_t<T>>(v));
            }
          }
        });
  });
  norm::finish(dx, out[0]);
}

void check_lrn(const OpAttrs& a, const TensorMeta& data) {
  const char* op = a.op()->name.c_str();
  norm::check_data(op, data, 2);
  const int64_t nsize = a.get_int("nsize");
  BRAID_CHECK(nsize >= 1 && nsize % 2 == 1, kValue, op, ": nsize must be a positive odd number, got ", nsize);
  BRAID_CHECK(a.get_float("knorm") > 0, kValue, op, ": knorm must be positive, got ", a.get_float("knorm"));
}

}  // namespace

void register_lrn_ops(Registry& r) {
  r.add("LRN")
      .describe(
          "Local response normalisation across channels (axis 1) of data (N, C, ...): "
          "y = x / (knorm + alpha/nsize * sum of x^2 over the nsize neighbouring channels)^beta.")
      .inputs({"data"})
      .attr_float("alpha", 1e-4, "scale of the sum of squares")
      .attr_float("beta", 0.75, "exponent")
      .attr_float("knorm", 2.0, "additive constant")
      .attr_int_required("nsize", "number of neighbouring channels summed, odd")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_lrn(a, in[0]);
        (*out)[0] = in[0];
      })
      .set_cpu(lrn_forward)
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) -> Tensors {
        if (!og[0].defined())
          return Tensors(1);
        return {call("_lrn_backward", {og[0], in[0]},
                     {{"alpha", a.get_float("alpha")},
                      {"beta", a.get_float("beta")},
                      {"knorm", a.get_float("knorm")},
                      {"nsize", a.get_int("nsize")}})};
      });

  r.add("_lrn_backward")
      .describe("Gradient of LRN for data.")
      .inputs({"out_grad", "data"})
      .attr_float("alpha", 1e-4, "as given to LRN")
      .attr_float("beta", 0.75, "as given to LRN")
      .attr_float("knorm", 2.0, "as given to LRN")
      .attr_int_required("nsize", "as given to LRN")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_lrn(a, in[1]);
        BRAID_CHECK(in[0].shape == in[1].shape, kValue, a.op()->name, ": argument 'out_grad' must have data's shape ",
                    shape_str(in[1].shape), ", got ", shape_str(in[0].shape));
        (*out)[0] = in[1];
      })
      .set_cpu(lrn_backward);
}

}  // namespace braid
