// LayerNorm, GroupNorm and InstanceNorm (MXNet 1.x semantics) with fused backward ops; BatchNorm lives in
// nn/batch_norm.cpp and LRN in nn/lrn.cpp. Each op normalises sets of elements ("rows") with their own biased
// mean and variance, then applies a per-channel gamma and beta. Statistics are shifted sums in double (shifting by
// a row's first element keeps E[x^2]-E[x]^2 accurate), so a forward is two passes over the data.
#include <cmath>

#include "ops/nn/norm_util.h"
#include "ops/op_call.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

// Biased mean and 1/sqrt(var + eps) of n elements at x[0], x[stride], ...
template <typename T>
void row_stats(const T* x, int64_t n, int64_t stride, double eps, double* mean, double* invstd) {
  if (n == 0) {
    *mean = 0;
    *invstd = 1.0 / std::sqrt(eps);
    return;
  }
  const double k = static_cast<double>(x[0]);
  double s1 = 0, s2 = 0;
  if (stride == 1) {
    norm::shifted_sums(x, n, k, &s1, &s2);
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(x[i * stride]) - k;
      s1 += d;
      s2 += d * d;
    }
  }
  const double m = s1 / n;
  *mean = k + m;
  *invstd = 1.0 / std::sqrt(std::max(0.0, s2 / n - m * m) + eps);
}

// ---- LayerNorm: data seen as (A, C, B) around `axis`; a row is the C elements (a, :, b), stride B ----------

struct LnLayout {
  int64_t A, C, B;
  int64_t rows() const { return A * B; }
  int64_t base(int64_t r) const { return (r / B) * C * B + r % B; }
};

LnLayout ln_layout(const OpAttrs& a, const Shape& s) {
  const int nd = static_cast<int>(s.size());
  const int ax = normalize_axis(a.get_int("axis"), nd, a.op()->name.c_str(), "axis");
  return {norm::span(s, 0, ax), s[ax], norm::span(s, ax + 1, nd)};
}

int64_t grain_for(int64_t work_per_item) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(work_per_item, 1));
}

void layer_norm_forward(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const LnLayout L = ln_layout(a, in[0].shape());
  const double eps = a.get_float("eps");
  Tensor x = contiguous(in[0]);
  Tensor y = norm::out_buffer(out[0]);
  const std::vector<double> gamma = norm::to_vec(in[1]), beta = norm::to_vec(in[2]);
  std::vector<double> mean(L.rows()), invstd(L.rows());
  dispatch_float(x.dtype(), "LayerNorm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using CT = compute_t<T>;
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    const std::vector<CT> g(gamma.begin(), gamma.end()), bt(beta.begin(), beta.end());
    parallel_for(L.rows(), grain_for(L.C), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t base = L.base(r);
        row_stats(xp + base, L.C, L.B, eps, &mean[r], &invstd[r]);
        const CT m = static_cast<CT>(mean[r]), is = static_cast<CT>(invstd[r]);
        for (int64_t c = 0; c < L.C; ++c) {
          const int64_t i = base + c * L.B;
          yp[i] = static_cast<T>((static_cast<CT>(xp[i]) - m) * is * g[c] + bt[c]);
        }
      }
    });
  });
  norm::finish(y, out[0]);
  if (out.size() == 3) {  // MXNet returns the mean and the standard deviation sqrt(var + eps)
    std::vector<double> sd(L.rows());
    for (int64_t r = 0; r < L.rows(); ++r)
      sd[r] = 1.0 / invstd[r];
    norm::store_vec(mean, out[1]);
    norm::store_vec(sd, out[2]);
  }
}

// dx = invstd * (g*dy - mean(g*dy) - xhat*mean(g*dy*xhat)) per row; d_gamma[c] = sum dy*xhat, d_beta[c] = sum dy
// over rows, accumulated per channel block (parallel over channels, rows in order) so results do not depend on
// the thread count.
void layer_norm_backward(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const LnLayout L = ln_layout(a, in[1].shape());
  const double eps = a.get_float("eps");
  Tensor dy = contiguous_as(in[0], in[1].dtype());
  Tensor x = contiguous(in[1]);
  Tensor dx = norm::out_buffer(out[0]);
  const std::vector<double> gamma = norm::to_vec(in[2]);
  std::vector<double> mean(L.rows()), invstd(L.rows()), dgamma(L.C, 0.0), dbeta(L.C, 0.0);
  dispatch_float(x.dtype(), "_layer_norm_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    using CT = compute_t<T>;
    const T* xp = x.data<T>();
    const T* gp = dy.data<T>();
    T* dxp = dx.data<T>();
    parallel_for(L.rows(), grain_for(L.C), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t base = L.base(r);
        row_stats(xp + base, L.C, L.B, eps, &mean[r], &invstd[r]);
        double s_g = 0, s_gx = 0;  // sums of g*dy and g*dy*(x - mean)
        for (int64_t c = 0; c < L.C; ++c) {
          const int64_t i = base + c * L.B;
          const double gd = gamma[c] * static_cast<double>(gp[i]);
          s_g += gd;
          s_gx += gd * (static_cast<double>(xp[i]) - mean[r]);
        }
        const double n = static_cast<double>(std::max<int64_t>(L.C, 1));
        const double is = invstd[r], m1 = s_g / n, m2 = s_gx * is / n;
        for (int64_t c = 0; c < L.C; ++c) {
          const int64_t i = base + c * L.B;
          const double xh = (static_cast<double>(xp[i]) - mean[r]) * is;
          dxp[i] = static_cast<T>(static_cast<CT>(is * (gamma[c] * static_cast<double>(gp[i]) - m1 - xh * m2)));
        }
      }
    });
    parallel_for(L.C, grain_for(L.rows()), [&](int64_t cb, int64_t ce) {
      for (int64_t aa = 0; aa < L.A; ++aa) {
        for (int64_t c = cb; c < ce; ++c) {
          const int64_t off = (aa * L.C + c) * L.B;
          double sg = 0, sb = 0;
          for (int64_t bb = 0; bb < L.B; ++bb) {
            const int64_t r = aa * L.B + bb;
            const double g = static_cast<double>(gp[off + bb]);
            sg += g * (static_cast<double>(xp[off + bb]) - mean[r]) * invstd[r];
            sb += g;
          }
          dgamma[c] += sg;
          dbeta[c] += sb;
        }
      }
    });
  });
  norm::finish(dx, out[0]);
  norm::store_vec(dgamma, out[1]);
  norm::store_vec(dbeta, out[2]);
}

void check_ln(const OpAttrs& a, const Metas& in, int data_idx) {
  const char* op = a.op()->name.c_str();
  norm::check_data(op, in[data_idx], 1);
  const Shape& s = in[data_idx].shape;
  const int ax = normalize_axis(a.get_int("axis"), static_cast<int>(s.size()), op, "axis");
  const std::string why = "the size of data's axis " + std::to_string(ax);
  norm::check_param(op, "gamma", in[data_idx + 1], Shape{s[ax]}, why);
  if (data_idx == 0)
    norm::check_param(op, "beta", in[2], Shape{s[ax]}, why);
}

void register_layer_norm(Registry& r) {
  r.add("LayerNorm")
      .describe(
          "Layer normalisation along `axis`: each slice along axis is normalised with its own mean and biased "
          "variance, then scaled by gamma and shifted by beta (both of shape (data.shape[axis],)). With "
          "output_mean_var the mean and standard deviation sqrt(var + eps) are returned too, with axis kept as "
          "size 1.")
      .inputs({"data", "gamma", "beta"})
      .attr_int("axis", -1, "the axis to normalise along")
      .attr_float("eps", 1e-5, "added to the variance for numerical stability")
      .attr_bool("output_mean_var", false, "also return the mean and standard deviation")
      .outputs_from([](const OpAttrs& a) { return a.get_bool("output_mean_var") ? 3 : 1; })
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_ln(a, in, 0);
        (*out)[0] = in[0];
        if (out->size() == 3) {
          Shape s = in[0].shape;
          s[normalize_axis(a.get_int("axis"), static_cast<int>(s.size()), "LayerNorm", "axis")] = 1;
          (*out)[1] = (*out)[2] = TensorMeta{s, in[0].dtype};
        }
      })
      .set_cpu(layer_norm_forward)
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) -> Tensors {
        if (!og[0].defined())
          return Tensors(3);
        return call_op("_layer_norm_backward", {og[0], in[0], in[1]},
                       {{"axis", a.get_int("axis")}, {"eps", a.get_float("eps")}});
      });

  r.add("_layer_norm_backward")
      .describe("Gradient of LayerNorm for data, gamma and beta.")
      .inputs({"out_grad", "data", "gamma"})
      .attr_int("axis", -1, "as given to LayerNorm")
      .attr_float("eps", 1e-5, "as given to LayerNorm")
      .outputs(3)
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_ln(a, in, 1);
        BRAID_CHECK(in[0].shape == in[1].shape, kValue, a.op()->name, ": argument 'out_grad' must have data's shape ",
                    shape_str(in[1].shape), ", got ", shape_str(in[0].shape));
        (*out)[0] = in[1];
        (*out)[1] = (*out)[2] = in[2];
      })
      .set_cpu(layer_norm_backward);
}

// ---- GroupNorm / InstanceNorm: data (N, C, S...); a row is the contiguous block of one (n, group) ----------

struct GnLayout {
  int64_t N, C, S, G;
  int64_t cg() const { return C / G; }
  int64_t len() const { return cg() * S; }
};

// gamma/beta are per channel (C,) or, as in MXNet 1.x's GroupNorm, per group (G,); kernels use per-channel vectors.
std::vector<double> per_channel(const Tensor& p, const GnLayout& L) {
  std::vector<double> v = norm::to_vec(p);
  if (static_cast<int64_t>(v.size()) == L.C)
    return v;
  std::vector<double> c(L.C);
  for (int64_t i = 0; i < L.C; ++i)
    c[i] = v[i / L.cg()];
  return c;
}

std::vector<double> to_param_shape(const std::vector<double>& per_c, const Tensor& p, const GnLayout& L) {
  if (p.numel() == L.C)
    return per_c;
  std::vector<double> g(L.G, 0.0);
  for (int64_t i = 0; i < L.C; ++i)
    g[i / L.cg()] += per_c[i];
  return g;
}

GnLayout gn_layout(const Shape& s, int64_t groups) {
  return {s[0], s[1], norm::span(s, 2, static_cast<int>(s.size())), groups};
}

void group_norm_forward(const GnLayout& L, double eps, const Tensor& xin, const Tensor& gam, const Tensor& bet,
                        const Tensor& out, const char* op) {
  Tensor x = contiguous(xin);
  Tensor y = norm::out_buffer(out);
  const std::vector<double> gamma = per_channel(gam, L), beta = per_channel(bet, L);
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using CT = compute_t<T>;
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    parallel_for(L.N * L.G, grain_for(L.len()), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        double mean, invstd;
        row_stats(xp + r * L.len(), L.len(), 1, eps, &mean, &invstd);
        for (int64_t j = 0; j < L.cg(); ++j) {
          const int64_t c = (r % L.G) * L.cg() + j;
          const CT sc = static_cast<CT>(gamma[c] * invstd), sh = static_cast<CT>(beta[c] - mean * gamma[c] * invstd);
          const int64_t off = r * L.len() + j * L.S;
          for (int64_t s = 0; s < L.S; ++s)
            yp[off + s] = static_cast<T>(static_cast<CT>(xp[off + s]) * sc + sh);
        }
      }
    });
  });
  norm::finish(y, out);
}

// Same formula as LayerNorm's backward over each (n, group) block; d_gamma and d_beta are summed per (n, c) and
// then over n in order.
void group_norm_backward(const GnLayout& L, double eps, const Tensors& in, const Tensors& out, const char* op) {
  Tensor dy = contiguous_as(in[0], in[1].dtype());
  Tensor x = contiguous(in[1]);
  Tensor dx = norm::out_buffer(out[0]);
  const std::vector<double> gamma = per_channel(in[2], L);
  std::vector<double> pg(L.N * L.C), pb(L.N * L.C);
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using CT = compute_t<T>;
    const T* xp = x.data<T>();
    const T* gp = dy.data<T>();
    T* dxp = dx.data<T>();
    parallel_for(L.N * L.G, grain_for(L.len()), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t base = r * L.len();
        double mean, is;
        row_stats(xp + base, L.len(), 1, eps, &mean, &is);
        double s_g = 0, s_gx = 0;
        for (int64_t j = 0; j < L.cg(); ++j) {
          const int64_t c = (r % L.G) * L.cg() + j;
          double sg = 0, sgx = 0;
          for (int64_t s = 0; s < L.S; ++s) {
            const double g = static_cast<double>(gp[base + j * L.S + s]);
            sg += g;
            sgx += g * (static_cast<double>(xp[base + j * L.S + s]) - mean);
          }
          const int64_t nc = (r / L.G) * L.C + c;
          pb[nc] = sg;
          pg[nc] = sgx * is;
          s_g += gamma[c] * sg;
          s_gx += gamma[c] * sgx;
        }
        const double n = static_cast<double>(std::max<int64_t>(L.len(), 1));
        const double m1 = s_g / n, m2 = s_gx * is / n;
        for (int64_t j = 0; j < L.cg(); ++j) {
          const int64_t c = (r % L.G) * L.cg() + j;
          for (int64_t s = 0; s < L.S; ++s) {
            const int64_t i = base + j * L.S + s;
            const double xh = (static_cast<double>(xp[i]) - mean) * is;
            dxp[i] = static_cast<T>(static_cast<CT>(is * (gamma[c] * static_cast<double>(gp[i]) - m1 - xh * m2)));
          }
        }
      }
    });
  });
  norm::finish(dx, out[0]);
  std::vector<double> dgamma(L.C, 0.0), dbeta(L.C, 0.0);
  for (int64_t n = 0; n < L.N; ++n) {
    for (int64_t c = 0; c < L.C; ++c) {
      dgamma[c] += pg[n * L.C + c];
      dbeta[c] += pb[n * L.C + c];
    }
  }
  norm::store_vec(to_param_shape(dgamma, in[2], L), out[1]);
  norm::store_vec(to_param_shape(dbeta, in[2], L), out[2]);
}

// Validates data (N, C, ...) and per-channel or per-group parameters; returns the layout.
GnLayout check_gn(const char* op, const Metas& in, int data_idx, int64_t groups, bool allow_per_group, int min_ndim) {
  norm::check_data(op, in[data_idx], min_ndim);
  const Shape& s = in[data_idx].shape;
  BRAID_CHECK(groups >= 1 && s[1] % groups == 0, kValue, op, ": num_groups=", groups,
              " must be positive and divide the channel count ", s[1]);
  const GnLayout L = gn_layout(s, groups);
  const int nparams = data_idx == 0 ? 2 : 1;
  const char* names[] = {"gamma", "beta"};
  for (int i = 0; i < nparams; ++i) {
    const TensorMeta& m = in[data_idx + 1 + i];
    const bool per_group = allow_per_group && m.shape == Shape{groups} && groups != L.C;
    if (!per_group) {
      norm::check_param(op, names[i], m, Shape{L.C},
                        allow_per_group ? "data's channel count, or num_groups" : "data's channel count");
    }
  }
  if (data_idx == 0) {
    BRAID_CHECK(in[1].shape == in[2].shape, kValue, op, ": arguments 'gamma' and 'beta' must have the same shape, got ",
                shape_str(in[1].shape), " and ", shape_str(in[2].shape));
  }
  return L;
}

void check_grad_shape(const OpAttrs& a, const Metas& in) {
  BRAID_CHECK(in[0].shape == in[1].shape, kValue, a.op()->name, ": argument 'out_grad' must have data's shape ",
              shape_str(in[1].shape), ", got ", shape_str(in[0].shape));
}

void register_group_norms(Registry& r) {
  r.add("GroupNorm")
      .describe(
          "Group normalisation of data (N, C, ...): the channels are split into num_groups groups and each "
          "(sample, group) block is normalised with its own mean and biased variance, then scaled by gamma and "
          "shifted by beta, given per channel (C,) or, as in MXNet 1.x, per group (num_groups,).")
      .inputs({"data", "gamma", "beta"})
      .attr_int("num_groups", 1, "number of channel groups; must divide C")
      .attr_float("eps", 1e-5, "added to the variance for numerical stability")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_gn("GroupNorm", in, 0, a.get_int("num_groups"), true, 2);
        (*out)[0] = in[0];
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const GnLayout L = gn_layout(in[0].shape(), a.get_int("num_groups"));
        group_norm_forward(L, a.get_float("eps"), in[0], in[1], in[2], out[0], "GroupNorm");
      })
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) -> Tensors {
        if (!og[0].defined())
          return Tensors(3);
        return call_op("_group_norm_backward", {og[0], in[0], in[1]},
                       {{"num_groups", a.get_int("num_groups")}, {"eps", a.get_float("eps")}});
      });

  r.add("_group_norm_backward")
      .describe("Gradient of GroupNorm (and InstanceNorm, with num_groups = C) for data, gamma and beta.")
      .inputs({"out_grad", "data", "gamma"})
      .attr_int("num_groups", 1, "as given to GroupNorm")
      .attr_float("eps", 1e-5, "as given to GroupNorm")
      .outputs(3)
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_gn("_group_norm_backward", in, 1, a.get_int("num_groups"), true, 2);
        check_grad_shape(a, in);
        (*out)[0] = in[1];
        (*out)[1] = (*out)[2] = in[2];
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const GnLayout L = gn_layout(in[1].shape(), a.get_int("num_groups"));
        group_norm_backward(L, a.get_float("eps"), in, out, "_group_norm_backward");
      });

  r.add("InstanceNorm")
      .describe(
          "Instance normalisation of data (N, C, ...): each (sample, channel) slice is normalised with its own "
          "mean and biased variance, then scaled by gamma (C,) and shifted by beta (C,).")
      .inputs({"data", "gamma", "beta"})
      .attr_float("eps", 1e-3, "added to the variance for numerical stability")
      .set_infer([](const OpAttrs&, const Metas& in, Metas* out) {
        norm::check_data("InstanceNorm", in[0], 3);
        check_gn("InstanceNorm", in, 0, std::max<int64_t>(1, in[0].shape[1]), false, 3);
        (*out)[0] = in[0];
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const GnLayout L = gn_layout(in[0].shape(), std::max<int64_t>(1, in[0].dim(1)));  // one group per channel
        group_norm_forward(L, a.get_float("eps"), in[0], in[1], in[2], out[0], "InstanceNorm");
      })
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) -> Tensors {
        if (!og[0].defined())
          return Tensors(3);
        return call_op("_group_norm_backward", {og[0], in[0], in[1]},
                       {{"num_groups", std::max<int64_t>(1, in[0].dim(1))}, {"eps", a.get_float("eps")}});
      });
}

}  // namespace

void register_norm_ops(Registry& r) {
  register_batch_norm_ops(r);
  register_layer_norm(r);
  register_group_norms(r);
  register_lrn_ops(r);
}

}  // namespace braid
