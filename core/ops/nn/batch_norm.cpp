// BatchNorm (MXNet 1.x semantics) and its fused backward. The data is seen as (outer, C, inner) around the
// channel axis; statistics are per channel over outer*inner elements. Training mode makes two passes over the
// data: shifted sums of x and x^2 per channel (OpenMP over channels; shifting by the channel's first element
// keeps E[x^2]-E[x]^2 accurate in double), then y = x*scale + shift over contiguous rows.
#include <cmath>

#include "autograd/mode.h"
#include "ops/nn/norm_util.h"
#include "ops/op_call.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

struct Layout {
  int64_t outer, C, inner;
  int64_t count() const { return outer * inner; }  // elements per channel
};

Layout layout_of(const Shape& s, int axis) {
  const int nd = static_cast<int>(s.size());
  return {norm::span(s, 0, axis), s[axis], norm::span(s, axis + 1, nd)};
}

int channel_axis(const OpAttrs& a, int ndim) {
  return normalize_axis(a.get_int("axis"), ndim, a.op()->name.c_str(), "axis");
}

// Per-channel biased mean and variance.
template <typename T>
void channel_stats(const T* x, const Layout& L, std::vector<double>* mean, std::vector<double>* var) {
  const int64_t n = L.count();
  parallel_for(L.C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      if (n == 0) {
        (*mean)[c] = (*var)[c] = 0;
        continue;
      }
      const double k = static_cast<double>(x[c * L.inner]);
      double s1 = 0, s2 = 0;
      for (int64_t o = 0; o < L.outer; ++o)
        norm::shifted_sums(x + (o * L.C + c) * L.inner, L.inner, k, &s1, &s2);
      const double m = s1 / n;
      (*mean)[c] = k + m;
      (*var)[c] = std::max(0.0, s2 / n - m * m);
    }
  });
}

// y = x*scale[c] + shift[c], over contiguous rows of `inner` elements.
template <typename T>
void affine_rows(const T* x, T* y, const Layout& L, const std::vector<double>& scale,
                 const std::vector<double>& shift) {
  using CT = compute_t<T>;
  const int64_t rows = L.outer * L.C;
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(L.inner, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t c = r % L.C;
      const CT sc = static_cast<CT>(scale[c]), sh = static_cast<CT>(shift[c]);
      const T* xr = x + r * L.inner;
      T* yr = y + r * L.inner;
      for (int64_t i = 0; i < L.inner; ++i)
        yr[i] = static_cast<T>(static_cast<CT>(xr[i]) * sc + sh);
    }
  });
}

void batch_norm_forward(const OpContext& ctx, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const char* op = "BatchNorm";
  const bool training = ctx.is_train && !a.get_bool("use_global_stats");
  const double eps = a.get_float("eps"), momentum = a.get_float("momentum");
  const Layout L = layout_of(in[0].shape(), channel_axis(a, in[0].ndim()));
  Tensor x = contiguous(in[0]);
  Tensor y = norm::out_buffer(out[0]);
  std::vector<double> gamma = a.get_bool("fix_gamma") ? std::vector<double>(L.C, 1.0) : norm::to_vec(in[1]);
  std::vector<double> beta = norm::to_vec(in[2]);
  std::vector<double> mean(L.C), var(L.C);
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (training) {
      channel_stats<T>(x.data<T>(), L, &mean, &var);
    } else {
      mean = norm::to_vec(in[3]);
      var = norm::to_vec(in[4]);
    }
    std::vector<double> scale(L.C), shift(L.C);
    for (int64_t c = 0; c < L.C; ++c) {
      scale[c] = gamma[c] / std::sqrt(var[c] + eps);
      shift[c] = beta[c] - mean[c] * scale[c];
    }
    affine_rows<T>(x.data<T>(), y.data<T>(), L, scale, shift);
  });
  norm::finish(y, out[0]);
  if (training && L.count() > 0) {
    // MXNet updates the running variance with the biased batch variance (the one used to normalise).
    std::vector<double> mm = norm::to_vec(in[3]), mv = norm::to_vec(in[4]);
    for (int64_t c = 0; c < L.C; ++c) {
      mm[c] = mm[c] * momentum + mean[c] * (1 - momentum);
      mv[c] = mv[c] * momentum + var[c] * (1 - momentum);
    }
    norm::store_vec(mm, in[3]);
    norm::store_vec(mv, in[4]);
  }
  if (out.size() == 3) {
    norm::store_vec(mean, out[1]);
    norm::store_vec(var, out[2]);
  }
}

// _batch_norm_backward(out_grad, data, gamma, moving_mean, moving_var) -> (d_data, d_gamma, d_beta).
// With batch statistics the mean and variance depend on the data:
//   dx = gamma*invstd * (dy - mean(dy) - xhat*mean(dy*xhat));
// with fixed (moving) statistics dx = gamma*invstd*dy. Either way d_gamma = sum(dy*xhat), d_beta = sum(dy).
// The batch statistics are recomputed in the same pass that sums dy and dy*x, so the forward need not keep them.
template <typename T>
void bn_backward_typed(const T* dy, const T* x, T* dx, const Layout& L, const std::vector<double>& gamma,
                       const std::vector<double>& fixed_mean, const std::vector<double>& fixed_var, bool batch_stats,
                       double eps, std::vector<double>* dgamma, std::vector<double>* dbeta) {
  using CT = compute_t<T>;
  const int64_t n = L.count();
  parallel_for(L.C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      if (n == 0) {
        (*dgamma)[c] = (*dbeta)[c] = 0;
        continue;
      }
      const double k = batch_stats ? static_cast<double>(x[c * L.inner]) : fixed_mean[c];
      double sx = 0, sxx = 0, sdy = 0, sdyx = 0;  // sums of d=x-k, d^2, dy, dy*d
      for (int64_t o = 0; o < L.outer; ++o) {
        const int64_t off = (o * L.C + c) * L.inner;
        for (int64_t i = 0; i < L.inner; ++i) {
          const double d = static_cast<double>(x[off + i]) - k;
          const double g = static_cast<double>(dy[off + i]);
          sx += d;
          sxx += d * d;
          sdy += g;
          sdyx += g * d;
        }
      }
      double mean, var;
      if (batch_stats) {
        mean = k + sx / n;
        var = std::max(0.0, sxx / n - (sx / n) * (sx / n));
      } else {
        mean = fixed_mean[c];
        var = fixed_var[c];
      }
      const double invstd = 1.0 / std::sqrt(var + eps);
      const double sum_dy_xhat = (sdyx - (mean - k) * sdy) * invstd;
      (*dgamma)[c] = sum_dy_xhat;
      (*dbeta)[c] = sdy;
      // dx = a*dy + b*x + c0, folded per channel.
      double ca = gamma[c] * invstd, cb = 0, c0 = 0;
      if (batch_stats) {
        cb = -ca * invstd * sum_dy_xhat / n;
        c0 = -ca * sdy / n - cb * mean;
      }
      const CT fa = static_cast<CT>(ca), fb = static_cast<CT>(cb), f0 = static_cast<CT>(c0);
      for (int64_t o = 0; o < L.outer; ++o) {
        const int64_t off = (o * L.C + c) * L.inner;
        for (int64_t i = 0; i < L.inner; ++i)
          dx[off + i] = static_cast<T>(fa * static_cast<CT>(dy[off + i]) + fb * static_cast<CT>(x[off + i]) + f0);
      }
    }
  });
}

void batch_norm_backward(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const char* op = "_batch_norm_backward";
  const Layout L = layout_of(in[1].shape(), channel_axis(a, in[1].ndim()));
  Tensor dy = contiguous_as(in[0], in[1].dtype());
  Tensor x = contiguous(in[1]);
  Tensor dx = norm::out_buffer(out[0]);
  const bool fix_gamma = a.get_bool("fix_gamma");
  const bool batch_stats = a.get_bool("use_batch_stats");
  std::vector<double> gamma = fix_gamma ? std::vector<double>(L.C, 1.0) : norm::to_vec(in[2]);
  std::vector<double> mean, var;
  if (!batch_stats) {
    mean = norm::to_vec(in[3]);
    var = norm::to_vec(in[4]);
  }
  std::vector<double> dgamma(L.C), dbeta(L.C);
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    bn_backward_typed<T>(dy.data<T>(), x.data<T>(), dx.data<T>(), L, gamma, mean, var, batch_stats, a.get_float("eps"),
                         &dgamma, &dbeta);
  });
  norm::finish(dx, out[0]);
  if (fix_gamma)
    std::fill(dgamma.begin(), dgamma.end(), 0.0);  // gamma is treated as the constant 1
  norm::store_vec(dgamma, out[1]);
  norm::store_vec(dbeta, out[2]);
}

// Shape checks shared by the forward and the backward: the parameters are vectors over the channel axis.
int64_t check_bn_inputs(const OpAttrs& a, const Metas& in, int data_idx) {
  const char* op = a.op()->name.c_str();
  norm::check_data(op, in[data_idx], 1);
  const Shape& s = in[data_idx].shape;
  const int ax = channel_axis(a, static_cast<int>(s.size()));
  const Shape want{s[ax]};
  const std::string why = "the size of data's axis " + std::to_string(ax);
  const char* names[] = {"gamma", "beta", "moving_mean", "moving_var"};
  for (int i = 0; i < 4; ++i) {
    const int idx = data_idx + 1 + i;
    if (idx < static_cast<int>(in.size()))
      norm::check_param(op, names[i], in[idx], want, why);
  }
  return s[ax];
}

}  // namespace

void register_batch_norm_ops(Registry& r) {
  r.add("BatchNorm")
      .describe(
          "Batch normalisation over every axis but `axis`: y = (x - mean) / sqrt(var + eps) * gamma + beta. In "
          "training mode (autograd.record / train_mode) it uses the batch mean and biased variance and updates "
          "moving_mean and moving_var in place (moving = moving*momentum + batch*(1-momentum)); otherwise, or "
          "with use_global_stats, it uses the moving statistics. With output_mean_var the mean and variance used "
          "are returned too (the variance itself, not MXNet's inverse standard deviation). As in MXNet, backward's "
          "train_mode picks the gradient formula (batch or fixed statistics).")
      .inputs({"data", "gamma", "beta", "moving_mean", "moving_var"})
      .attr_float("eps", 1e-3, "added to the variance for numerical stability")
      .attr_float("momentum", 0.9, "decay of the moving statistics")
      .attr_bool("fix_gamma", true, "treat gamma as 1 (its gradient is then zero)")
      .attr_bool("use_global_stats", false, "normalise with the moving statistics even in training mode")
      .attr_bool("output_mean_var", false, "also return the mean and variance used")
      .attr_int("axis", 1, "the channel axis")
      .attr_bool("cudnn_off", false, "accepted for MXNet compatibility; no effect")
      .outputs_from([](const OpAttrs& a) { return a.get_bool("output_mean_var") ? 3 : 1; })
      .mutates({3, 4})
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_bn_inputs(a, in, 0);
        (*out)[0] = in[0];
        for (size_t i = 1; i < out->size(); ++i)
          (*out)[i] = in[3];
      })
      .set_cpu(batch_norm_forward)
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) -> Tensors {
        if (!og[0].defined())
          return Tensors(5);
        // Like MXNet, the backward's own training mode picks the formula (batch or fixed statistics).
        const bool batch_stats = is_training() && !a.get_bool("use_global_stats");
        Tensors g = call_op("_batch_norm_backward", {og[0], in[0], in[1], in[3], in[4]},
                            {{"eps", a.get_float("eps")},
                             {"fix_gamma", a.get_bool("fix_gamma")},
                             {"axis", a.get_int("axis")},
                             {"use_batch_stats", batch_stats}});
        return {g[0], g[1], g[2], Tensor(), Tensor()};
      });

  r.add("_batch_norm_backward")
      .describe(
          "Gradient of BatchNorm for data, gamma and beta. use_batch_stats selects the training-mode formula "
          "(statistics recomputed from data); otherwise moving_mean and moving_var are the fixed statistics.")
      .inputs({"out_grad", "data", "gamma", "moving_mean", "moving_var"})
      .attr_float("eps", 1e-3, "as given to BatchNorm")
      .attr_bool("fix_gamma", true, "as given to BatchNorm")
      .attr_int("axis", 1, "as given to BatchNorm")
      .attr_bool("use_batch_stats", true, "whether the forward normalised with batch statistics")
      .outputs(3)
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_bn_inputs(a, in, 1);
        BRAID_CHECK(in[0].shape == in[1].shape, kValue, a.op()->name, ": argument 'out_grad' must have data's shape ",
                    shape_str(in[1].shape), ", got ", shape_str(in[0].shape));
        (*out)[0] = in[1];
        (*out)[1] = in[2];
        (*out)[2] = in[2];
      })
      .set_cpu(batch_norm_backward);
}

}  // namespace braid
