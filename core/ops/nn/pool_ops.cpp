// Pooling (max / avg / sum over 1-D to 3-D windows, MXNet 1.x semantics) and nearest-neighbour UpSampling,
// with their gradient rules. Kernels run one (image, channel) plane per task, in parallel across planes.
#include <algorithm>
#include <limits>
#include <type_traits>

#include "backends/cpu/parallel.h"
#include "ops/kernel_util.h"
#include "ops/nn/im2col.h"
#include "ops/op_call.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

enum class PoolType { kMax, kAvg, kSum };

struct PoolGeom {
  ConvGeom g;  // N, C, in, out, k, s, p (no dilation)
  PoolType type = PoolType::kMax;
  bool include_pad = true;
};

template <typename F>
void dispatch_staged(DType t, const char* op, F f) {
  dispatch_float(t, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same<T, float>::value || std::is_same<T, double>::value)
      f(tag);
    else
      fail(ErrorKind::kRuntime, "internal error: 16-bit pooling buffer not converted");
  });
}

PoolGeom pool_geom(const OpAttrs& a, const Shape& x) {
  const std::string& op = a.op()->name;
  const int ndim = static_cast<int>(x.size());
  BRAID_CHECK(ndim >= 3 && ndim <= 5, kValue, op,
              ": data must be 3-D (N, C, W), 4-D (N, C, H, W) or 5-D (N, C, D, H, W), got shape ", shape_str(x));
  conv_check_layout(a, ndim);
  PoolGeom pg;
  ConvGeom& g = pg.g;
  const std::string& t = a.get_str("pool_type");
  pg.type = t == "max" ? PoolType::kMax : t == "avg" ? PoolType::kAvg : PoolType::kSum;
  pg.include_pad = a.get_bool("count_include_pad");
  g.nd = ndim - 2;
  g.N = x[0];
  g.C = g.K = x[1];
  const bool global = a.get_bool("global_pool");
  if (!global)
    conv_read_window(a, ndim, &g, false);
  const bool full = a.get_str("pooling_convention") == "full";
  for (int i = 0; i < g.nd; ++i) {
    const int j = 3 - g.nd + i;
    g.in[j] = x[2 + i];
    if (global) {
      g.k[j] = g.in[j];
      g.out[j] = 1;
      continue;
    }
    g.out[j] = conv_out_size(a, i, g.in[j], g.k[j], g.s[j], 1, g.p[j]);  // also checks the kernel fits
    if (full)
      g.out[j] = (g.in[j] + 2 * g.p[j] - g.k[j] + g.s[j] - 1) / g.s[j] + 1;
  }
  return pg;
}

Shape pool_out_shape(const ConvGeom& g) {
  Shape s = {g.N, g.C};
  for (int j = 3 - g.nd; j < 3; ++j)
    s.push_back(g.out[j]);
  return s;
}

// One window along an axis: [lo, hi) inside the input, and its extent clipped only to the padded input (what
// count_include_pad divides by).
struct Win {
  int64_t lo, hi, padded;
};
inline Win window(const ConvGeom& g, int j, int64_t o) {
  const int64_t start = o * g.s[j] - g.p[j];
  const int64_t end = std::min(start + g.k[j], g.in[j] + g.p[j]);
  return {std::max<int64_t>(start, 0), std::min(end, g.in[j]), end - start};
}

// Calls f(out_index, wd, wh, ww) for every output position of one plane.
template <typename F>
void for_each_window(const ConvGeom& g, F f) {
  int64_t o = 0;
  for (int64_t od = 0; od < g.out[0]; ++od) {
    const Win wd = window(g, 0, od);
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      const Win wh = window(g, 1, oh);
      for (int64_t ow = 0; ow < g.out[2]; ++ow, ++o)
        f(o, wd, wh, window(g, 2, ow));
    }
  }
}

template <typename T>
T divisor(const PoolGeom& pg, const Win& d, const Win& h, const Win& w) {
  if (pg.type == PoolType::kSum)
    return T(1);
  if (pg.include_pad)
    return static_cast<T>(d.padded * h.padded * w.padded);
  return static_cast<T>((d.hi - d.lo) * (h.hi - h.lo) * (w.hi - w.lo));
}

// Max pooling over 1-D or 2-D windows that lie wholly inside the input (no padding, valid rounding): the
// common case (LeNet, VGG, ResNet's stem) gets loops without the per-window clipping of the general kernels.
bool plain_max_2d(const PoolGeom& pg) {
  const ConvGeom& g = pg.g;
  if (pg.type != PoolType::kMax || g.in[0] != 1 || g.k[0] != 1)
    return false;
  for (int j = 1; j < 3; ++j) {
    if (g.p[j] != 0 || (g.out[j] - 1) * g.s[j] + g.k[j] > g.in[j])
      return false;
  }
  return true;
}

template <typename T>
void max_pool_2d_plane(const ConvGeom& g, const T* xp, T* yp) {
  const int64_t W = g.in[2], kh = g.k[1], kw = g.k[2], sh = g.s[1], sw = g.s[2];
  for (int64_t oh = 0; oh < g.out[1]; ++oh) {
    const T* r0 = xp + oh * sh * W;
    T* yr = yp + oh * g.out[2];
    if (kh == 2 && kw == 2 && sw == 2) {
      const T* r1 = r0 + W;
      for (int64_t ow = 0; ow < g.out[2]; ++ow) {
        T m = std::numeric_limits<T>::lowest();
        m = std::max(m, r0[2 * ow]);
        m = std::max(m, r0[2 * ow + 1]);
        m = std::max(m, r1[2 * ow]);
        yr[ow] = std::max(m, r1[2 * ow + 1]);
      }
      continue;
    }
    for (int64_t ow = 0; ow < g.out[2]; ++ow) {
      T m = std::numeric_limits<T>::lowest();
      for (int64_t i = 0; i < kh; ++i) {
        const T* r = r0 + i * W + ow * sw;
        for (int64_t j = 0; j < kw; ++j)
          m = std::max(m, r[j]);
      }
      yr[ow] = m;
    }
  }
}

// The gradient for plain_max_2d windows: each window's gradient goes to its first maximum (row-major order, as in
// the general kernel). Non-overlapping windows (stride == kernel) write every input element once, so the plane
// is not cleared first.
template <typename T>
void max_pool_2d_plane_grad(const ConvGeom& g, const T* xp, const T* gp, T* dp) {
  const int64_t W = g.in[2], kh = g.k[1], kw = g.k[2], sh = g.s[1], sw = g.s[2];
  const bool tiled = sh == kh && sw == kw;
  if (tiled) {
    // Rows and columns past the last window get no gradient.
    const int64_t covered_h = g.out[1] * sh, covered_w = g.out[2] * sw;
    std::fill(dp + covered_h * W, dp + g.in[1] * W, T(0));
    if (covered_w < W) {
      for (int64_t r = 0; r < covered_h; ++r)
        std::fill(dp + r * W + covered_w, dp + (r + 1) * W, T(0));
    }
  } else {
    std::fill(dp, dp + g.in_size(), T(0));
  }
  if (tiled && kh == 2 && kw == 2) {
    // Selects instead of branches: which element of a window is largest is a coin toss on real data.
    for (int64_t oh = 0; oh < g.out[1]; ++oh) {
      const T *x0 = xp + 2 * oh * W, *x1 = x0 + W;
      T *d0 = dp + 2 * oh * W, *d1 = d0 + W;
      const T* gr = gp + oh * g.out[2];
      for (int64_t ow = 0; ow < g.out[2]; ++ow) {
        const T a = x0[2 * ow], b = x0[2 * ow + 1], c = x1[2 * ow], d = x1[2 * ow + 1];
        T m = a;
        int best = 0;
        best = b > m ? 1 : best;
        m = b > m ? b : m;
        best = c > m ? 2 : best;
        m = c > m ? c : m;
        best = d > m ? 3 : best;
        const T v = gr[ow];
        d0[2 * ow] = best == 0 ? v : T(0);
        d0[2 * ow + 1] = best == 1 ? v : T(0);
        d1[2 * ow] = best == 2 ? v : T(0);
        d1[2 * ow + 1] = best == 3 ? v : T(0);
      }
    }
    return;
  }
  for (int64_t oh = 0; oh < g.out[1]; ++oh) {
    const int64_t row0 = oh * sh * W;
    for (int64_t ow = 0; ow < g.out[2]; ++ow) {
      const int64_t base = row0 + ow * sw;
      int64_t best = base;
      T m = xp[base];
      for (int64_t i = 0; i < kh; ++i) {
        for (int64_t j = 0; j < kw; ++j) {
          const int64_t at = base + i * W + j;
          if (xp[at] > m) {
            m = xp[at];
            best = at;
          }
          if (tiled)
            dp[at] = T(0);
        }
      }
      dp[best] += gp[oh * g.out[2] + ow];
    }
  }
}

template <typename T>
void pool_forward(const PoolGeom& pg, const T* x, T* y) {
  const ConvGeom& g = pg.g;
  const int64_t IN = g.in_size(), P = g.out_size();
  if (plain_max_2d(pg)) {
    parallel_for(g.N * g.C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, IN)), [&](int64_t s, int64_t e) {
      for (int64_t t = s; t < e; ++t)
        max_pool_2d_plane(g, x + t * IN, y + t * P);
    });
    return;
  }
  const int64_t in1 = g.in[1], in2 = g.in[2];
  parallel_for(g.N * g.C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, P * g.kernel_size())),
               [&](int64_t s, int64_t e) {
                 for (int64_t t = s; t < e; ++t) {
                   const T* xp = x + t * IN;
                   T* yp = y + t * P;
                   for_each_window(g, [&](int64_t o, const Win& d, const Win& h, const Win& w) {
                     if (pg.type == PoolType::kMax) {
                       T m = std::numeric_limits<T>::lowest();
                       for (int64_t i = d.lo; i < d.hi; ++i)
                         for (int64_t j = h.lo; j < h.hi; ++j)
                           for (int64_t k = w.lo; k < w.hi; ++k)
                             m = std::max(m, xp[(i * in1 + j) * in2 + k]);
                       yp[o] = m;
                       return;
                     }
                     T acc = 0;
                     for (int64_t i = d.lo; i < d.hi; ++i)
                       for (int64_t j = h.lo; j < h.hi; ++j)
                         for (int64_t k = w.lo; k < w.hi; ++k)
                           acc += xp[(i * in1 + j) * in2 + k];
                     const T div = divisor<T>(pg, d, h, w);
                     yp[o] = div > 0 ? acc / div : T(0);
                   });
                 }
               });
}

// dx from dy: max routes each output's gradient to its window's first maximum; avg and sum spread it.
template <typename T>
void pool_backward(const PoolGeom& pg, const T* x, const T* dy, T* dx) {
  const ConvGeom& g = pg.g;
  const int64_t IN = g.in_size(), P = g.out_size();
  if (plain_max_2d(pg)) {
    parallel_for(g.N * g.C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, IN)), [&](int64_t s, int64_t e) {
      for (int64_t t = s; t < e; ++t)
        max_pool_2d_plane_grad(g, x + t * IN, dy + t * P, dx + t * IN);
    });
    return;
  }
  const int64_t in1 = g.in[1], in2 = g.in[2];
  parallel_for(g.N * g.C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, P * g.kernel_size())),
               [&](int64_t s, int64_t e) {
                 for (int64_t t = s; t < e; ++t) {
                   const T* xp = x + t * IN;
                   const T* gp = dy + t * P;
                   T* dp = dx + t * IN;
                   std::fill(dp, dp + IN, T(0));
                   for_each_window(g, [&](int64_t o, const Win& d, const Win& h, const Win& w) {
                     if (pg.type == PoolType::kMax) {
                       int64_t best = -1;
                       T m = std::numeric_limits<T>::lowest();
                       for (int64_t i = d.lo; i < d.hi; ++i)
                         for (int64_t j = h.lo; j < h.hi; ++j)
                           for (int64_t k = w.lo; k < w.hi; ++k) {
                             const int64_t at = (i * in1 + j) * in2 + k;
                             if (best < 0 || xp[at] > m) {
                               m = xp[at];
                               best = at;
                             }
                           }
                       if (best >= 0)
                         dp[best] += gp[o];
                       return;
                     }
                     const T div = divisor<T>(pg, d, h, w);
                     if (!(div > 0))
                       return;
                     const T v = gp[o] / div;
                     for (int64_t i = d.lo; i < d.hi; ++i)
                       for (int64_t j = h.lo; j < h.hi; ++j)
                         for (int64_t k = w.lo; k < w.hi; ++k)
                           dp[(i * in1 + j) * in2 + k] += v;
                   });
                 }
               });
}

void add_pool_attrs(OpDef& d) {
  d.attr_tuple("kernel", {}, "window size per spatial axis (ignored with global_pool)")
      .attr_string("pool_type", "max", {"max", "avg", "sum"}, "reduction over each window")
      .attr_bool("global_pool", false, "pool over the whole spatial extent (kernel, stride and pad are ignored)")
      .attr_tuple("stride", {}, "stride per spatial axis (default 1)")
      .attr_tuple("pad", {}, "padding on both sides per spatial axis (default 0)")
      .attr_string("pooling_convention", "valid", {"valid", "full"},
                   "output size rounding: valid floors, full ceils (windows may run past the padded input)")
      .attr_bool("count_include_pad", true, "avg: padded positions count in the divisor")
      .attr_string_optional("layout", {"NCW", "NCHW", "NCDHW"}, "data layout; only channel-first is supported");
}

void check_pool_dtype(const OpAttrs& a, const Metas& in) {
  for (size_t i = 0; i < in.size(); ++i) {
    BRAID_CHECK(dtype_is_float(in[i].dtype), kType, a.op()->name, ": ", a.op()->input_names[i],
                " must be floating-point, got ", dtype_name(in[i].dtype));
  }
}

// ---- UpSampling ---------------------------------------------------------------------------------------------

// Output (N, channels, H * scale, W * scale) from the first input; every input must divide it evenly.
Shape upsample_shape(const OpAttrs& a, const Metas& in) {
  const std::string& op = a.op()->name;
  BRAID_CHECK(a.get_str("sample_type") == "nearest", kNotImplemented, op,
              ": sample_type='bilinear' is not supported (it needs a weight input); use Deconvolution");
  BRAID_CHECK(a.get_int("num_args") == static_cast<int64_t>(in.size()), kValue, op, ": num_args is ",
              a.get_int("num_args"), " but ", in.size(), " input(s) were given");
  const int64_t scale = a.get_int("scale");
  BRAID_CHECK(scale >= 1, kValue, op, ": scale must be >= 1, got ", scale);
  const bool concat = a.get_str("multi_input_mode") == "concat";
  const Shape& s0 = in[0].shape;
  BRAID_CHECK(s0.size() == 4, kValue, op, ": data must be 4-D (N, C, H, W), got shape ", shape_str(s0));
  Shape out = {s0[0], 0, s0[2] * scale, s0[3] * scale};
  for (size_t i = 0; i < in.size(); ++i) {
    const Shape& s = in[i].shape;
    BRAID_CHECK(s.size() == 4 && s[0] == s0[0] && s[2] > 0 && s[3] > 0 && out[2] % s[2] == 0 && out[3] % s[3] == 0 &&
                    out[2] / s[2] == out[3] / s[3],
                kValue, op, ": input ", i, " has shape ", shape_str(s), ", which does not upsample evenly to ",
                shape_str(out));
    BRAID_CHECK(in[i].dtype == in[0].dtype && dtype_is_float(in[i].dtype), kType, op, ": input ", i, " has dtype ",
                dtype_name(in[i].dtype), ", expected floating-point ", dtype_name(in[0].dtype));
    BRAID_CHECK(concat || s[1] == s0[1], kValue, op, ": multi_input_mode='sum' needs equal channels, input ", i,
                " has ", s[1], ", input 0 has ", s0[1]);
    out[1] = concat ? out[1] + s[1] : s0[1];
  }
  return out;
}

// Nearest-neighbour upsampling of x (N, C, h, w) into channels [c0, c0 + C) of y (N, Cy, H, W); adds when accum.
template <typename T>
void upsample_into(const T* x, const Shape& xs, T* y, const Shape& ys, int64_t c0, bool accum) {
  const int64_t N = xs[0], C = xs[1], h = xs[2], w = xs[3], H = ys[2], W = ys[3], sc = H / h;
  parallel_for(N * C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, H * W)), [&](int64_t s, int64_t e) {
    for (int64_t t = s; t < e; ++t) {
      const int64_t n = t / C, c = t % C;
      const T* xp = x + t * h * w;
      T* yp = y + ((n * ys[1]) + c0 + c) * H * W;
      for (int64_t i = 0; i < H; ++i) {
        const T* xr = xp + (i / sc) * w;
        T* yr = yp + i * W;
        for (int64_t j = 0; j < W; ++j)
          yr[j] = accum ? yr[j] + xr[j / sc] : xr[j / sc];
      }
    }
  });
}

// The adjoint: dx[n, c, i, j] = sum of dy over the scale x scale block, from channels starting at c0.
template <typename T>
void upsample_grad(const T* dy, const Shape& ys, T* dx, const Shape& xs, int64_t c0) {
  const int64_t N = xs[0], C = xs[1], h = xs[2], w = xs[3], H = ys[2], W = ys[3], sc = H / h;
  parallel_for(N * C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, H * W)), [&](int64_t s, int64_t e) {
    for (int64_t t = s; t < e; ++t) {
      const int64_t n = t / C, c = t % C;
      T* xp = dx + t * h * w;
      const T* yp = dy + ((n * ys[1]) + c0 + c) * H * W;
      std::fill(xp, xp + h * w, T(0));
      for (int64_t i = 0; i < H; ++i) {
        T* xr = xp + (i / sc) * w;
        const T* yr = yp + i * W;
        for (int64_t j = 0; j < W; ++j)
          xr[j / sc] += yr[j];
      }
    }
  });
}

void register_upsampling(Registry& r) {
  r.add("UpSampling")
      .describe(
          "Nearest-neighbour upsampling of 4-D (N, C, H, W) inputs by an integer scale. Several inputs are "
          "upsampled to the first one's output size and concatenated along channels (multi_input_mode='concat') "
          "or summed ('sum').")
      .variadic_inputs("data")
      .attr_int_required("scale", "upsampling factor of the first input")
      .attr_int("num_filter", 0, "bilinear only (unsupported); ignored")
      .attr_string("sample_type", "nearest", {"nearest", "bilinear"}, "interpolation (only nearest is supported)")
      .attr_string("multi_input_mode", "concat", {"concat", "sum"}, "how several inputs are combined")
      .attr_int("num_args", 1, "number of inputs")
      .attr_int("workspace", 512, "ignored (MXNet's workspace limit in MB)")
      .set_infer(
          [](const OpAttrs& a, const Metas& in, Metas* out) { (*out)[0] = {upsample_shape(a, in), in[0].dtype}; })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const bool concat = a.get_str("multi_input_mode") == "concat";
        Tensor y = conv_result_buffer(out[0]);
        dispatch_staged(y.dtype(), "UpSampling", [&](auto tag) {
          using T = typename decltype(tag)::type;
          int64_t c0 = 0;
          for (size_t i = 0; i < in.size(); ++i) {
            Tensor x = conv_staged(in[i]);
            upsample_into<T>(x.data<T>(), x.shape(), y.data<T>(), y.shape(), c0, !concat && i > 0);
            if (concat)
              c0 += x.shape()[1];
          }
        });
        conv_finish(y, out[0]);
      })
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
        Tensors g(in.size());
        if (!og[0].defined())
          return g;
        const bool concat = a.get_str("multi_input_mode") == "concat";
        int64_t c0 = 0;
        for (size_t i = 0; i < in.size(); ++i) {
          g[i] = call("_upsampling_grad", {og[0], in[i]}, {{"channel_begin", c0}});
          if (concat)
            c0 += in[i].shape()[1];
        }
        return g;
      });

  r.add("_upsampling_grad")
      .describe("Internal: gradient of nearest UpSampling for one input (block sums of out_grad's channels).")
      .inputs({"out_grad", "data"})
      .attr_int("channel_begin", 0, "first channel of out_grad that belongs to data")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        const Shape &ys = in[0].shape, &xs = in[1].shape;
        const int64_t c0 = a.get_int("channel_begin");
        BRAID_CHECK(ys.size() == 4 && xs.size() == 4 && ys[0] == xs[0] && c0 >= 0 && c0 + xs[1] <= ys[1] && xs[2] > 0 &&
                        xs[3] > 0 && ys[2] % xs[2] == 0 && ys[3] % xs[3] == 0 && ys[2] / xs[2] == ys[3] / xs[3],
                    kValue, a.op()->name, ": out_grad ", shape_str(ys), " does not fit data ", shape_str(xs),
                    " at channel ", c0);
        (*out)[0] = {xs, in[0].dtype};
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        Tensor dy = conv_staged(in[0]), dx = conv_result_buffer(out[0]);
        dispatch_staged(dx.dtype(), "UpSampling", [&](auto tag) {
          using T = typename decltype(tag)::type;
          upsample_grad<T>(dy.data<T>(), dy.shape(), dx.data<T>(), dx.shape(), a.get_int("channel_begin"));
        });
        conv_finish(dx, out[0]);
      });
}

}  // namespace

void register_pool_ops(Registry& r) {
  OpDef& pool = r.add("Pooling")
                    .describe(
                        "Max, average or sum pooling over 1-D (NCW), 2-D (NCHW) or 3-D (NCDHW) windows, MXNet "
                        "semantics: out = floor((in + 2 * pad - kernel) / stride) + 1 (valid) or ceil (full).")
                    .inputs({"data"});
  add_pool_attrs(pool);
  pool.set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_pool_dtype(a, in);
        (*out)[0] = {pool_out_shape(pool_geom(a, in[0].shape).g), in[0].dtype};
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const PoolGeom pg = pool_geom(a, in[0].shape());
        Tensor x = conv_staged(in[0]), y = conv_result_buffer(out[0]);
        dispatch_staged(y.dtype(), "Pooling", [&](auto tag) {
          using T = typename decltype(tag)::type;
          pool_forward<T>(pg, x.data<T>(), y.data<T>());
        });
        conv_finish(y, out[0]);
      })
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
        if (!og[0].defined())
          return Tensors(1);
        return Tensors{call("_pooling_grad", {og[0], in[0]},
                            {{"kernel", a.get_tuple("kernel")},
                             {"pool_type", a.get_str("pool_type").c_str()},
                             {"global_pool", a.get_bool("global_pool")},
                             {"stride", a.get_tuple("stride")},
                             {"pad", a.get_tuple("pad")},
                             {"pooling_convention", a.get_str("pooling_convention").c_str()},
                             {"count_include_pad", a.get_bool("count_include_pad")}})};
      });

  OpDef& pgrad = r.add("_pooling_grad")
                     .describe("Internal: gradient of Pooling with respect to its data.")
                     .inputs({"out_grad", "data"});
  add_pool_attrs(pgrad);
  pgrad
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_pool_dtype(a, in);
        BRAID_CHECK(in[0].dtype == in[1].dtype, kType, a.op()->name, ": out_grad has dtype ", dtype_name(in[0].dtype),
                    ", data has ", dtype_name(in[1].dtype));
        const Shape want = pool_out_shape(pool_geom(a, in[1].shape).g);
        BRAID_CHECK(in[0].shape == want, kValue, a.op()->name, ": out_grad has shape ", shape_str(in[0].shape),
                    ", expected ", shape_str(want));
        (*out)[0] = {in[1].shape, in[1].dtype};
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const PoolGeom pg = pool_geom(a, in[1].shape());
        Tensor dy = conv_staged(in[0]), x = conv_staged(in[1]), dx = conv_result_buffer(out[0]);
        dispatch_staged(dx.dtype(), "Pooling", [&](auto tag) {
          using T = typename decltype(tag)::type;
          pool_backward<T>(pg, x.data<T>(), dy.data<T>(), dx.data<T>());
        });
        conv_finish(dx, out[0]);
      });

  register_upsampling(r);
}

}  // namespace braid
