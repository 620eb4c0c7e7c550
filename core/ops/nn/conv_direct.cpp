// Direct (im2col-free) forward convolution for stride 1, dilation 1, 1-D and 2-D windows.
//
// Small convolutions (LeNet's, the first layer of most networks, every convolution at batch size 1) spend as
// long building the im2col matrix as multiplying it, and the matrix is kernel-area times larger than the input.
// Here each image is copied once into a zero-padded buffer of row pitch WP, and outputs are computed on that
// padded grid: output position p = oh * WP + ow reads input p + kh * WP + kw, so for every (channel, kh, kw)
// the inputs of consecutive outputs are consecutive in memory, across row ends too. A register tile of KB
// filters x NV vectors of positions accumulates over all channels and kernel taps, and the WP - OW columns
// per row that fall on padding are computed and dropped when the tile is stored (at most a few per row).
#include "ops/nn/conv_direct.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "backends/cpu/parallel.h"
#include "backends/cpu/simd.h"

namespace braid {

namespace {

// Register tile: filters x vectors of positions. Measured on LeNet's convolutions: 4 x 3 with AVX2 (12 of 16
// registers), 2 x 3 with 16-byte vectors (WebAssembly SIMD128 and SSE, where a broadcast costs a shuffle).
constexpr int kTileFilters = simd::kVecBytes == 32 ? 4 : 2;
constexpr int kTileVectors = 3;

// Geometry on the padded grid of one image.
struct Grid {
  int64_t C, K, KH, KW, WP, OH, OW;
  int64_t span;   // positions computed: the padded-grid index of the last output + 1, rounded up to a tile
  int64_t plane;  // floats per padded input channel (covers every read of the last tile)
};

// out[kb * span + p] = sum over c, kh, kw of wr[((c * KH + kh) * KW + kw) * KB + kb] * x[c * plane + p + kh * WP + kw]
// for p in [0, span); wr holds this block's KB filters interleaved.
template <typename T, int KB, int NV>
void direct_tile_block(const Grid& g, const T* x, const T* wr, T* out) {
  using D = simd::Vec<T>;
  using V = typename D::V;
  constexpr int VL = D::VL;
  for (int64_t p0 = 0; p0 < g.span; p0 += VL * NV) {
    V acc[KB][NV];
    for (int kb = 0; kb < KB; ++kb) {
      for (int v = 0; v < NV; ++v)
        acc[kb][v] = V{};
    }
    const T* wp = wr;
    for (int64_t c = 0; c < g.C; ++c) {
      const T* xc = x + c * g.plane + p0;
      for (int64_t kh = 0; kh < g.KH; ++kh) {
        const T* xr = xc + kh * g.WP;
        for (int64_t kw = 0; kw < g.KW; ++kw, wp += KB) {
          V xv[NV];
          for (int v = 0; v < NV; ++v)
            xv[v] = D::load(xr + kw + v * VL);
          for (int kb = 0; kb < KB; ++kb) {
            const V wv = D::splat(wp[kb]);
            for (int v = 0; v < NV; ++v)
              acc[kb][v] += wv * xv[v];
          }
        }
      }
    }
    for (int kb = 0; kb < KB; ++kb) {
      for (int v = 0; v < NV; ++v)
        D::store(out + kb * g.span + p0 + v * VL, acc[kb][v]);
    }
  }
}

template <typename T, int KB, int NV>
void conv_direct_impl(const ConvGeom& cg, const T* x, const T* w, const T* bias, T* y) {
  constexpr int VL = simd::Vec<T>::VL, TILE = VL * NV;
  const int64_t H = cg.in[1], W = cg.in[2], ph = cg.p[1], pw = cg.p[2];
  Grid g;
  g.C = cg.C;
  g.K = cg.K;
  g.KH = cg.k[1];
  g.KW = cg.k[2];
  g.WP = W + 2 * pw;
  g.OH = cg.out[1];
  g.OW = cg.out[2];
  const int64_t HP = H + 2 * ph;
  const int64_t last = (g.OH - 1) * g.WP + g.OW;
  g.span = (last + TILE - 1) / TILE * TILE;
  g.plane = std::max(HP * g.WP, g.span + (g.KH - 1) * g.WP + g.KW - 1);
  const int64_t kblocks = (g.K + KB - 1) / KB, P = g.OH * g.OW, IN = H * W;

  // Filters interleaved per block of KB ([block][c][kh][kw][KB]), zero beyond K.
  const int64_t taps = g.C * g.KH * g.KW;
  T* wr = conv_scratch<T, 2>(kblocks * taps * KB);
  std::fill(wr, wr + kblocks * taps * KB, T(0));
  for (int64_t k = 0; k < g.K; ++k) {
    for (int64_t t = 0; t < taps; ++t)
      wr[static_cast<size_t>(((k / KB) * taps + t) * KB + k % KB)] = w[k * taps + t];
  }

  // Images are padded in chunks that bound the scratch memory.
  const int64_t per_image = g.C * g.plane;
  const int64_t chunk =
      std::max<int64_t>(1, std::min<int64_t>(cg.N, kConvScratchElements / std::max<int64_t>(1, per_image)));
  T* xp = conv_scratch<T, 3>(chunk * per_image);
  for (int64_t n0 = 0; n0 < cg.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, cg.N - n0);
    parallel_for(nb * g.C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, g.plane)),
                 [&](int64_t s, int64_t e) {
                   for (int64_t t = s; t < e; ++t) {
                     T* dst = xp + t * g.plane;
                     const T* src = x + (n0 * g.C + t) * IN;
                     std::fill(dst, dst + g.plane, T(0));
                     for (int64_t i = 0; i < H; ++i)
                       std::memcpy(dst + (i + ph) * g.WP + pw, src + i * W, static_cast<size_t>(W) * sizeof(T));
                   }
                 });
    const int64_t work = g.span * KB * taps;
    parallel_for(nb * kblocks, std::max<int64_t>(1, (int64_t(1) << 17) / std::max<int64_t>(1, work)),
                 [&](int64_t s, int64_t e) {
                   T* tile = conv_scratch<T, 4>(KB * g.span);  // per thread
                   for (int64_t t = s; t < e; ++t) {
                     const int64_t b = t / kblocks, kb0 = (t % kblocks) * KB;
                     direct_tile_block<T, KB, NV>(g, xp + b * per_image, wr + (kb0 / KB) * taps * KB, tile);
                     for (int64_t kb = 0; kb < KB && kb0 + kb < g.K; ++kb) {
                       const int64_t k = kb0 + kb;
                       const T bv = bias != nullptr ? bias[k] : T(0);
                       T* yo = y + ((n0 + b) * g.K + k) * P;
                       const T* src = tile + kb * g.span;
                       for (int64_t oh = 0; oh < g.OH; ++oh) {
                         for (int64_t ow = 0; ow < g.OW; ++ow)
                           yo[oh * g.OW + ow] = src[oh * g.WP + ow] + bv;
                       }
                     }
                   }
                 });
  }
}

}  // namespace

bool conv_direct_applies(const ConvGeom& g, bool have_blas) {
  if (g.G != 1 || g.in[0] != 1 || g.k[0] != 1 || g.p[0] != 0)
    return false;
  for (int j = 1; j < 3; ++j) {
    if (g.s[j] != 1 || g.d[j] != 1)
      return false;
  }
  if (g.N == 0 || g.C == 0 || g.K == 0 || g.out_size() == 0)
    return false;
  if (!have_blas)
    return true;
  // With a BLAS, im2col + GEMM wins once the reduction (channels x taps) and the filter count are large; the
  // direct kernel wins on the small convolutions, where the column matrix dwarfs the work.
  return g.C * g.kernel_size() <= 256 && g.K <= 64;
}

template <typename T>
void conv_forward_direct(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  conv_direct_impl<T, kTileFilters, kTileVectors>(g, x, w, bias, y);
}

template void conv_forward_direct<float>(const ConvGeom&, const float*, const float*, const float*, float*);
template void conv_forward_direct<double>(const ConvGeom&, const double*, const double*, const double*, double*);

}  // namespace braid
