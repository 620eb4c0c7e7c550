#include "ops/nn/im2col.h"

#include <algorithm>
#include <cstring>

#include "backends/cpu/gemm.h"
#include "backends/cpu/parallel.h"
#include "backends/cpu/simd.h"
#include "ops/kernel_util.h"
#include "ops/nn/conv_direct.h"

namespace braid {

namespace {

int64_t images_per_chunk(const ConvGeom& g) {
  const int64_t per_image = std::max<int64_t>(1, g.C * g.kernel_size() * g.out_size());
  return std::max<int64_t>(1, std::min<int64_t>(g.N, kConvScratchElements / per_image));
}

// Output positions o in [lo, hi) read input o * s + off inside [0, in); the others read padding.
struct Valid {
  int64_t lo, hi;
};
Valid valid_range(int64_t in, int64_t out, int64_t s, int64_t off) {
  int64_t lo = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t hi = in - off <= 0 ? 0 : (in - off + s - 1) / s;
  lo = std::min(lo, out);
  hi = std::max(lo, std::min(hi, out));
  return {lo, hi};
}

// Walks the column rows of one input channel: for each kernel offset (kd, kh, kw) and each output row (od, oh),
// calls row(dst_row, src_row_or_null, valid_w, s_w, off_w) where src_row is the input row (null in padding).
template <typename RowFn>
void walk_channel(const ConvGeom& g, int64_t ld, RowFn row) {
  const int64_t o12 = g.out[1] * g.out[2];
  int64_t r = 0;
  for (int64_t kd = 0; kd < g.k[0]; ++kd) {
    const int64_t offd = kd * g.d[0] - g.p[0];
    const Valid vd = valid_range(g.in[0], g.out[0], g.s[0], offd);
    for (int64_t kh = 0; kh < g.k[1]; ++kh) {
      const int64_t offh = kh * g.d[1] - g.p[1];
      const Valid vh = valid_range(g.in[1], g.out[1], g.s[1], offh);
      for (int64_t kw = 0; kw < g.k[2]; ++kw, ++r) {
        const int64_t offw = kw * g.d[2] - g.p[2];
        const Valid vw = valid_range(g.in[2], g.out[2], g.s[2], offw);
        for (int64_t od = 0; od < g.out[0]; ++od) {
          const bool din = od >= vd.lo && od < vd.hi;
          const int64_t id = od * g.s[0] + offd;
          for (int64_t oh = 0; oh < g.out[1]; ++oh) {
            const bool in = din && oh >= vh.lo && oh < vh.hi;
            const int64_t src = in ? (id * g.in[1] + oh * g.s[1] + offh) * g.in[2] : -1;
            row(r * ld + od * o12 + oh * g.out[2], src, vw, offw);
          }
        }
      }
    }
  }
}

// Column rows are short (one output row: 10 to a few hundred elements), so a libc memcpy/memset call per row
// costs more than the copy. These move whole vectors inline; the vector type keeps the compiler from turning
// the loop back into a library call.
template <typename T>
struct ShortRow {
  using D = simd::Vec<T>;
  static constexpr int64_t VL = D::VL;

  static void copy(T* __restrict o, const T* __restrict x, int64_t n) {
    if (n < VL) {
      for (int64_t i = 0; i < n; ++i)
        o[i] = x[i];
      return;
    }
    int64_t i = 0;
    for (; i + VL <= n; i += VL)
      D::store(o + i, D::load(x + i));
    // The tail as one more vector ending at n: it rewrites a few elements with the same values.
    if (i < n)
      D::store(o + n - VL, D::load(x + n - VL));
  }
  static void zero(T* o, int64_t n) {
    int64_t i = 0;
    for (; i + VL <= n; i += VL)
      D::store(o + i, typename D::V{});
    for (; i < n; ++i)
      o[i] = T(0);
  }
};

// Writes the column rows of one channel plane xc into dst (row stride ld).
template <typename T>
void im2col_channel(const ConvGeom& g, const T* xc, T* dst, int64_t ld) {
  const int64_t ow = g.out[2], sw = g.s[2];
  walk_channel(g, ld, [&](int64_t at, int64_t src, Valid vw, int64_t offw) {
    T* o = dst + at;
    if (src < 0) {
      ShortRow<T>::zero(o, ow);
      return;
    }
    const T* x = xc + src + offw;
    for (int64_t i = 0; i < vw.lo; ++i)
      o[i] = T(0);
    if (sw == 1) {
      ShortRow<T>::copy(o + vw.lo, x + vw.lo, vw.hi - vw.lo);
    } else {
      for (int64_t i = vw.lo; i < vw.hi; ++i)
        o[i] = x[i * sw];
    }
    for (int64_t i = vw.hi; i < ow; ++i)
      o[i] = T(0);
  });
}

// Adds the column rows of one channel back into the channel plane dxc (the adjoint of im2col_channel).
template <typename T>
void col2im_channel(const ConvGeom& g, const T* col, T* dxc, int64_t ld) {
  const int64_t sw = g.s[2];
  walk_channel(g, ld, [&](int64_t at, int64_t src, Valid vw, int64_t offw) {
    if (src < 0)
      return;
    const T* c = col + at;
    T* x = dxc + src + offw;
    if (sw == 1) {
      for (int64_t i = vw.lo; i < vw.hi; ++i)
        x[i] += c[i];
    } else {
      for (int64_t i = vw.lo; i < vw.hi; ++i)
        x[i * sw] += c[i];
    }
  });
}

int64_t grain_for(int64_t work_per_task) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, work_per_task));
}

// im2col of images [n0, n0 + nb) into col, laid out [group][C/G * k][nb * P].
template <typename T>
void im2col_chunk(const ConvGeom& g, const T* x, int64_t n0, int64_t nb, T* col) {
  const int64_t P = g.out_size(), IN = g.in_size(), KK = g.kernel_size(), R = g.col_rows(), Cg = g.C / g.G;
  const int64_t ld = nb * P;
  parallel_for(nb * g.C, grain_for(KK * P), [&](int64_t s, int64_t e) {
    for (int64_t t = s; t < e; ++t) {
      const int64_t b = t / g.C, c = t % g.C, gi = c / Cg, cc = c % Cg;
      im2col_channel(g, x + ((n0 + b) * g.C + c) * IN, col + gi * R * ld + cc * KK * ld + b * P, ld);
    }
  });
}

// Copies dy of images [n0, n0 + nb) (N, K, P) into the GEMM layout [K][nb][P].
template <typename T>
void gather_rows(const T* y, int64_t K, int64_t P, int64_t n0, int64_t nb, T* buf) {
  parallel_for(nb * K, grain_for(P), [&](int64_t s, int64_t e) {
    for (int64_t t = s; t < e; ++t) {
      const int64_t b = t / K, k = t % K;
      ShortRow<T>::copy(buf + (k * nb + b) * P, y + ((n0 + b) * K + k) * P, P);
    }
  });
}

}  // namespace

template <typename T>
void conv_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  const int64_t P = g.out_size(), R = g.col_rows(), Kg = g.K / g.G, K = g.K;
  if (g.N == 0 || P == 0 || K == 0)
    return;
  if (conv_direct_applies(g, gemm_uses_blas())) {
    conv_forward_direct(g, x, w, bias, y);
    return;
  }
  const int64_t B = images_per_chunk(g);
  T* col = conv_scratch<T, 0>(g.G * R * B * P);
  T* ybuf = B > 1 ? conv_scratch<T, 1>(K * B * P) : nullptr;
  for (int64_t n0 = 0; n0 < g.N; n0 += B) {
    const int64_t nb = std::min(B, g.N - n0), ld = nb * P;
    im2col_chunk(g, x, n0, nb, col);
    // With one image the GEMM layout [K][1][P] is the output's own, so the product lands in place.
    T* dst = nb == 1 ? y + n0 * K * P : ybuf;
    for (int64_t gi = 0; gi < g.G; ++gi)
      gemm(false, false, Kg, ld, R, T(1), w + gi * Kg * R, R, col + gi * R * ld, ld, T(0), dst + gi * Kg * ld, ld);
    if (nb == 1 && bias == nullptr)
      continue;
    parallel_for(nb * K, grain_for(P), [&](int64_t s, int64_t e) {
      for (int64_t t = s; t < e; ++t) {
        const int64_t b = t / K, k = t % K;
        const T* src = dst + (k * nb + b) * P;
        T* o = y + ((n0 + b) * K + k) * P;
        const T bv = bias ? bias[k] : T(0);
        for (int64_t i = 0; i < P; ++i)
          o[i] = src[i] + bv;
      }
    });
  }
}

template <typename T>
void conv_backward_data(const ConvGeom& g, const T* dy, const T* w, T* dx) {
  const int64_t P = g.out_size(), IN = g.in_size(), R = g.col_rows(), Kg = g.K / g.G, K = g.K;
  const int64_t KK = g.kernel_size(), Cg = g.C / g.G;
  if (g.N == 0 || g.C == 0 || IN == 0)
    return;
  if (P == 0 || K == 0) {
    std::fill(dx, dx + g.N * g.C * IN, T(0));
    return;
  }
  const int64_t B = images_per_chunk(g);
  T* col = conv_scratch<T, 0>(g.G * R * B * P);
  T* ybuf = B > 1 ? conv_scratch<T, 1>(K * B * P) : nullptr;
  for (int64_t n0 = 0; n0 < g.N; n0 += B) {
    const int64_t nb = std::min(B, g.N - n0), ld = nb * P;
    const T* src = dy + n0 * K * P;
    if (nb > 1) {
      gather_rows(dy, K, P, n0, nb, ybuf);
      src = ybuf;
    }
    for (int64_t gi = 0; gi < g.G; ++gi)
      gemm(true, false, R, ld, Kg, T(1), w + gi * Kg * R, R, src + gi * Kg * ld, ld, T(0), col + gi * R * ld, ld);
    parallel_for(nb * g.C, grain_for(KK * P), [&](int64_t s, int64_t e) {
      for (int64_t t = s; t < e; ++t) {
        const int64_t b = t / g.C, c = t % g.C, gi = c / Cg, cc = c % Cg;
        T* plane = dx + ((n0 + b) * g.C + c) * IN;
        std::fill(plane, plane + IN, T(0));
        col2im_channel(g, col + gi * R * ld + cc * KK * ld + b * P, plane, ld);
      }
    });
  }
}

template <typename T>
void conv_backward_weight(const ConvGeom& g, const T* x, const T* dy, T* dw) {
  const int64_t P = g.out_size(), R = g.col_rows(), Kg = g.K / g.G, K = g.K;
  if (g.N == 0 || P == 0) {
    std::fill(dw, dw + K * R, T(0));
    return;
  }
  const int64_t B = images_per_chunk(g);
  T* col = conv_scratch<T, 0>(g.G * R * B * P);
  T* ybuf = B > 1 ? conv_scratch<T, 1>(K * B * P) : nullptr;
  for (int64_t n0 = 0; n0 < g.N; n0 += B) {
    const int64_t nb = std::min(B, g.N - n0), ld = nb * P;
    im2col_chunk(g, x, n0, nb, col);
    const T* src = dy + n0 * K * P;
    if (nb > 1) {
      gather_rows(dy, K, P, n0, nb, ybuf);
      src = ybuf;
    }
    const T beta = n0 == 0 ? T(0) : T(1);
    for (int64_t gi = 0; gi < g.G; ++gi)
      gemm(false, true, Kg, R, ld, T(1), src + gi * Kg * ld, ld, col + gi * R * ld, ld, beta, dw + gi * Kg * R, R);
  }
}

template void conv_forward<float>(const ConvGeom&, const float*, const float*, const float*, float*);
template void conv_forward<double>(const ConvGeom&, const double*, const double*, const double*, double*);
template void conv_backward_data<float>(const ConvGeom&, const float*, const float*, float*);
template void conv_backward_data<double>(const ConvGeom&, const double*, const double*, double*);
template void conv_backward_weight<float>(const ConvGeom&, const float*, const float*, float*);
template void conv_backward_weight<double>(const ConvGeom&, const double*, const double*, double*);

void conv_read_window(const OpAttrs& a, int ndim, ConvGeom* g, bool has_dilate) {
  const std::string& op = a.op()->name;
  const int nd = ndim - 2;
  BRAID_CHECK(nd >= 1 && nd <= 3, kValue, op,
              ": data must be 3-D (N, C, W), 4-D (N, C, H, W) or 5-D (N, C, D, H, W), got ", ndim, "-D");
  g->nd = nd;
  auto read = [&](const char* name, int64_t* dst, int64_t dflt, int64_t minv, bool required) {
    const std::vector<int64_t>& t = a.get_tuple(name);
    BRAID_CHECK((t.empty() && !required) || static_cast<int>(t.size()) == nd, kValue, op, ": ", name, " must have ", nd,
                " element(s) for ", ndim, "-D data, got ", shape_str(t));
    for (int i = 0; i < nd; ++i) {
      const int64_t v = t.empty() ? dflt : t[i];
      BRAID_CHECK(v >= minv, kValue, op, ": ", name, " must be >= ", minv, ", got ", shape_str(t));
      dst[3 - nd + i] = v;
    }
  };
  read("kernel", g->k, 1, 1, true);
  read("stride", g->s, 1, 1, false);
  if (has_dilate)
    read("dilate", g->d, 1, 1, false);
  read("pad", g->p, 0, 0, false);
}

int64_t conv_out_size(const OpAttrs& a, int axis, int64_t in, int64_t k, int64_t s, int64_t d, int64_t p) {
  const int64_t dk = d * (k - 1) + 1;
  BRAID_CHECK(dk <= in + 2 * p, kValue, a.op()->name, ": kernel size ", dk, d > 1 ? " (dilated)" : "",
              " exceeds the padded input size ", in + 2 * p, " along spatial axis ", axis);
  return (in + 2 * p - dk) / s + 1;
}

void conv_check_layout(const OpAttrs& a, int ndim) {
  if (a.is_none("layout"))
    return;
  static const char* kLayouts[] = {"NCW", "NCHW", "NCDHW"};
  const std::string& l = a.get_str("layout");
  const char* want = ndim >= 3 && ndim <= 5 ? kLayouts[ndim - 3] : "";
  BRAID_CHECK(l == want, kValue, a.op()->name, ": layout '", l, "' does not match ", ndim, "-D data (expected '", want,
              "'; only channel-first layouts are supported)");
}

Shape conv_weight_shape(const ConvGeom& g) {
  Shape s = {g.K, g.C / g.G};
  for (int i = 3 - g.nd; i < 3; ++i)
    s.push_back(g.k[i]);
  return s;
}

Tensor conv_staged(const Tensor& t) {
  const DType ct = (t.dtype() == DType::kFloat16 || t.dtype() == DType::kBFloat16) ? DType::kFloat32 : t.dtype();
  return contiguous_as(t, ct);
}

Tensor conv_result_buffer(const Tensor& out) {
  const DType ct = (out.dtype() == DType::kFloat16 || out.dtype() == DType::kBFloat16) ? DType::kFloat32 : out.dtype();
  if (ct == out.dtype() && out.is_contiguous())
    return out;
  return Tensor::empty(out.shape(), ct, out.ctx());
}

void conv_finish(const Tensor& buf, const Tensor& out) {
  if (buf.impl() != out.impl())
    copy_into(buf, out);
}

}  // namespace braid
