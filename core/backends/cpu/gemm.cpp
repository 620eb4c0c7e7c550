// GEMM: the BLAS call when the build has one (the only place that knows), else a portable cache-blocked kernel.
//
// The portable kernel follows the usual GotoBLAS/BLIS structure: B is packed in kc x nc blocks into panels of
// NR columns, A in mc x kc blocks into panels of MR rows, and a register-tiled micro-kernel computes each
// MR x NR tile of C over kc. The micro-kernel is plain C++ with fixed trip counts; the compiler unrolls it and
// keeps the MR x NR accumulators in vector registers (FMA on AVX2, SIMD128 in WebAssembly).
//
// Small products, the rule in batch-1 inference (LeNet's convolutions are 6 x 784 x 25 and 16 x 100 x 150, its
// dense layers single rows), spend more time packing than multiplying. Two paths skip the packing: products
// with one row or one column run as matrix-vector loops, and products whose B fits in L2 run the same
// register tiles straight from A and B. They matter where there is no BLAS (WebAssembly, BRAID_BLAS=none).
#include "backends/cpu/gemm.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>

#include "backends/cpu/parallel.h"
#include "backends/cpu/simd.h"

#if defined(BRAID_HAVE_CBLAS)
#include <cblas.h>

#include <thread>
#include <vector>
#if defined(BRAID_BLAS_PREFIX_SCIPY)
#define BRAID_CBLAS_SGEMM scipy_cblas_sgemm
#define BRAID_CBLAS_DGEMM scipy_cblas_dgemm
#define BRAID_CBLAS_SGEMV scipy_cblas_sgemv
#define BRAID_CBLAS_DGEMV scipy_cblas_dgemv
#else
#define BRAID_CBLAS_SGEMM cblas_sgemm
#define BRAID_CBLAS_DGEMM cblas_dgemm
#define BRAID_CBLAS_SGEMV cblas_sgemv
#define BRAID_CBLAS_DGEMV cblas_dgemv
#endif
#endif

namespace braid {

namespace {

// Register tile: MR rows x NR columns of accumulators, NR being two SIMD vectors. The micro-kernel uses the
// compiler's vector extension (GCC and Clang) rather than intrinsics, so one source serves AVX2 (32-byte
// vectors, 6 x 2 accumulators in 12 of the 16 registers), plain SSE/NEON and WebAssembly SIMD128 (16 bytes;
// a 4-row tile there, since wasm engines map to as few as 16 registers).
#if defined(__wasm__)
constexpr int kTileRows = 4;
#else
constexpr int kTileRows = 6;
#endif

template <typename T>
struct Tile {
  typedef typename simd::Vec<T>::V Vec;
  static constexpr int VL = simd::Vec<T>::VL;
  static constexpr int MR = kTileRows, NV = 2, NR = NV * VL;
};

constexpr int64_t kKC = 256;   // depth of a packed block: an A panel (MR x kc) stays in L1
constexpr int64_t kMC = 96;    // rows of a packed A block (fits L2 with the B panel being read)
constexpr int64_t kNC = 4096;  // columns of a packed B block
// Products below this many multiply-adds run one per thread across a batch.
constexpr int64_t kSmallProduct = int64_t(1) << 18;

template <typename T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc, bool parallel) {
  if (beta == T(1))
    return;
  auto rows = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T* row = c + i * ldc;
      if (beta == T(0)) {  // BLAS semantics: C is not read, so NaN garbage does not propagate
        for (int64_t j = 0; j < n; ++j)
          row[j] = T(0);
      } else {
        for (int64_t j = 0; j < n; ++j)
          row[j] *= beta;
      }
    }
  };
  if (parallel) {
    parallel_for(m, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)), rows);
  } else {
    rows(0, m);
  }
}

// Packs op(A)[i0:i0+mc, p0:p0+kc] into panels of MR rows, each stored k-major (MR values per k), zero-padded.
template <typename T>
void pack_a(bool ta, const T* a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* dst) {
  constexpr int MR = Tile<T>::MR;
  for (int64_t ip = 0; ip < mc; ip += MR) {
    T* panel = dst + ip * kc;
    const int64_t rows = std::min<int64_t>(MR, mc - ip);
    for (int64_t ii = 0; ii < MR; ++ii) {
      if (ii >= rows) {
        for (int64_t p = 0; p < kc; ++p)
          panel[p * MR + ii] = T(0);
        continue;
      }
      const int64_t i = i0 + ip + ii;
      if (ta) {
        for (int64_t p = 0; p < kc; ++p)
          panel[p * MR + ii] = a[(p0 + p) * lda + i];
      } else {
        const T* src = a + i * lda + p0;
        for (int64_t p = 0; p < kc; ++p)
          panel[p * MR + ii] = src[p];
      }
    }
  }
}

// Packs op(B)[p0:p0+kc, j0 + panel columns] for panels [pb, pe) of NR columns, each k-major, zero-padded.
template <typename T>
void pack_b(bool tb, const T* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t pb, int64_t pe,
            T* dst) {
  constexpr int NR = Tile<T>::NR;
  for (int64_t jp = pb; jp < pe; ++jp) {
    T* panel = dst + jp * NR * kc;
    const int64_t c0 = jp * NR, cols = std::min<int64_t>(NR, nc - c0);
    for (int64_t p = 0; p < kc; ++p) {
      T* out = panel + p * NR;
      if (tb) {
        for (int64_t jj = 0; jj < cols; ++jj)
          out[jj] = b[(j0 + c0 + jj) * ldb + p0 + p];
      } else {
        const T* src = b + (p0 + p) * ldb + j0 + c0;
        for (int64_t jj = 0; jj < cols; ++jj)
          out[jj] = src[jj];
      }
      for (int64_t jj = cols; jj < NR; ++jj)
        out[jj] = T(0);
    }
  }
}

// C[0:mr, 0:nr] += alpha * (A panel) * (B panel) over kc.
template <typename T>
void micro_kernel(int64_t kc, const T* __restrict ap, const T* __restrict bp, T alpha, T* c, int64_t ldc, int64_t mr,
                  int64_t nr) {
  using V = typename Tile<T>::Vec;
  constexpr int MR = Tile<T>::MR, NV = Tile<T>::NV, NR = Tile<T>::NR, VL = Tile<T>::VL;
  V acc[MR][NV];
  for (int i = 0; i < MR; ++i) {
    for (int v = 0; v < NV; ++v)
      acc[i][v] = V{};
  }
  for (int64_t p = 0; p < kc; ++p) {
    V b[NV];
    for (int v = 0; v < NV; ++v)
      std::memcpy(&b[v], bp + p * NR + v * VL, sizeof(V));  // unaligned-safe load
    for (int i = 0; i < MR; ++i) {
      const V x = V{} + ap[p * MR + i];  // broadcast
      for (int v = 0; v < NV; ++v)
        acc[i][v] += x * b[v];
    }
  }
  T tile[MR][NR];
  std::memcpy(tile, acc, sizeof(tile));
  if (mr == MR && nr == NR) {
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < NR; ++j)
        c[i * ldc + j] += alpha * tile[i][j];
    }
  } else {
    for (int64_t i = 0; i < mr; ++i) {
      for (int64_t j = 0; j < nr; ++j)
        c[i * ldc + j] += alpha * tile[i][j];
    }
  }
}

// ---- small products: no packing ------------------------------------------------------------------------------

// B is read in place when it is at most this many bytes (it stays in L2 while every row tile streams over it).
constexpr int64_t kDirectMaxB = int64_t(128) << 10;
// Rows of the unpacked register tile: 6 x NR accumulators leave registers for B and the broadcast on AVX2 and
// on WebAssembly engines (16 vector registers).
constexpr int kDirectRows = 6;

template <typename T>
inline typename Tile<T>::Vec load_vec(const T* p) {
  return simd::Vec<T>::load(p);
}

// C[0:R, 0:nr] += alpha * op(A)[0:R, 0:k] * B[0:k, 0:NR] with B row-major (row stride ldb) and NR columns
// readable (the caller pads the last panel). op(A) row i, column p is a[p * lda + i] when ta, else a[i * lda + p].
template <typename T, int R, bool TA>
void direct_kernel(int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb, T alpha, T* c, int64_t ldc,
                   int64_t nr) {
  using V = typename Tile<T>::Vec;
  constexpr int NV = Tile<T>::NV, NR = Tile<T>::NR, VL = Tile<T>::VL;
  V acc[R][NV];
  for (int i = 0; i < R; ++i) {
    for (int v = 0; v < NV; ++v)
      acc[i][v] = V{};
  }
  for (int64_t p = 0; p < k; ++p) {
    V bv[NV];
    for (int v = 0; v < NV; ++v)
      bv[v] = load_vec<T>(b + p * ldb + v * VL);
    for (int i = 0; i < R; ++i) {
      const V x = V{} + (TA ? a[p * lda + i] : a[i * lda + p]);  // broadcast
      for (int v = 0; v < NV; ++v)
        acc[i][v] += x * bv[v];
    }
  }
  T tile[R][NR];
  std::memcpy(tile, acc, sizeof(tile));
  for (int i = 0; i < R; ++i) {
    T* row = c + i * ldc;
    if (nr == NR) {
      for (int j = 0; j < NR; ++j)
        row[j] += alpha * tile[i][j];
    } else {
      for (int64_t j = 0; j < nr; ++j)
        row[j] += alpha * tile[i][j];
    }
  }
}

// One row tile of up to kDirectRows rows (R picked at run time) across every column panel.
template <typename T, bool TA>
void direct_rows(int rows, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb, const T* tail,
                 T alpha, T* c, int64_t ldc) {
  constexpr int NR = Tile<T>::NR;
  auto run = [&](auto r_tag) {
    constexpr int R = decltype(r_tag)::value;
    const int64_t full = n / NR * NR;
    for (int64_t j = 0; j < full; j += NR)
      direct_kernel<T, R, TA>(k, a, lda, b + j, ldb, alpha, c + j, ldc, NR);
    if (full < n)
      direct_kernel<T, R, TA>(k, a, lda, tail, NR, alpha, c + full, ldc, n - full);
  };
  switch (rows) {
    case 1:
      run(std::integral_constant<int, 1>());
      break;
    case 2:
      run(std::integral_constant<int, 2>());
      break;
    case 3:
      run(std::integral_constant<int, 3>());
      break;
    case 4:
      run(std::integral_constant<int, 4>());
      break;
    case 5:
      run(std::integral_constant<int, 5>());
      break;
    default:
      run(std::integral_constant<int, 6>());
      break;
  }
}

// op(A) * B for B stored k x n (not transposed) and small: the register tiles read A and B where they are;
// only the last, partial column panel is copied (zero-padded to NR columns).
template <typename T>
void gemm_direct(bool ta, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
                 T* c, int64_t ldc) {
  constexpr int NR = Tile<T>::NR;
  static_assert(kDirectRows == 6, "direct_rows dispatches 1..6 rows");
  const int64_t full = n / NR * NR;
  std::unique_ptr<T[]> tail;
  if (full < n) {
    tail.reset(new T[k * NR]);
    for (int64_t p = 0; p < k; ++p) {
      for (int64_t j = 0; j < NR; ++j)
        tail[p * NR + j] = full + j < n ? b[p * ldb + full + j] : T(0);
    }
  }
  // Tiles of kDirectRows rows; the last one takes what remains.
  for (int64_t i0 = 0; i0 < m; i0 += kDirectRows) {
    const int rows = static_cast<int>(std::min<int64_t>(kDirectRows, m - i0));
    if (ta)
      direct_rows<T, true>(rows, n, k, a + i0, lda, b, ldb, tail.get(), alpha, c + i0 * ldc, ldc);
    else
      direct_rows<T, false>(rows, n, k, a + i0 * lda, lda, b, ldb, tail.get(), alpha, c + i0 * ldc, ldc);
  }
}

// y[i * incy] += alpha * dot(x row i, v) for `rows` rows of x (contiguous, row stride ldx) and a contiguous v:
// a matrix-vector product whose matrix rows are contiguous. Four rows at a time share the loads of v.
template <typename T>
void gemv_rows(int64_t rows, int64_t k, T alpha, const T* x, int64_t ldx, const T* v, T* y, int64_t incy) {
  using V = typename Tile<T>::Vec;
  constexpr int VL = Tile<T>::VL;
  const int64_t kv = k / VL * VL;
  auto hsum = [](V s) {
    T t = T(0);
    for (int l = 0; l < VL; ++l)
      t += s[l];
    return t;
  };
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const T* r0 = x + i * ldx;
    const T* r1 = r0 + ldx;
    const T* r2 = r1 + ldx;
    const T* r3 = r2 + ldx;
    V s0{}, s1{}, s2{}, s3{};
    for (int64_t p = 0; p < kv; p += VL) {
      const V w = load_vec<T>(v + p);
      s0 += load_vec<T>(r0 + p) * w;
      s1 += load_vec<T>(r1 + p) * w;
      s2 += load_vec<T>(r2 + p) * w;
      s3 += load_vec<T>(r3 + p) * w;
    }
    T t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
    for (int64_t p = kv; p < k; ++p) {
      t0 += r0[p] * v[p];
      t1 += r1[p] * v[p];
      t2 += r2[p] * v[p];
      t3 += r3[p] * v[p];
    }
    y[i * incy] += alpha * t0;
    y[(i + 1) * incy] += alpha * t1;
    y[(i + 2) * incy] += alpha * t2;
    y[(i + 3) * incy] += alpha * t3;
  }
  for (; i < rows; ++i) {
    const T* r = x + i * ldx;
    V s{};
    for (int64_t p = 0; p < kv; p += VL)
      s += load_vec<T>(r + p) * load_vec<T>(v + p);
    T t = hsum(s);
    for (int64_t p = kv; p < k; ++p)
      t += r[p] * v[p];
    y[i * incy] += alpha * t;
  }
}

// Products with one row or one column whose matrix operand has contiguous rows along k: c = a op(B)^T-style
// dot products. Returns false when the layout does not fit (the caller then uses another path).
template <typename T>
bool gemv_product(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
                  int64_t ldb, T* c, int64_t ldc) {
  // The vector is op(A)'s row (m == 1) or op(B)'s column (n == 1); copy it when strided.
  auto contiguous = [&](const T* base, int64_t stride, std::unique_ptr<T[]>& keep) -> const T* {
    if (stride == 1)
      return base;
    keep.reset(new T[k]);
    for (int64_t p = 0; p < k; ++p)
      keep[p] = base[p * stride];
    return keep.get();
  };
  std::unique_ptr<T[]> keep;
  if (m == 1 && tb) {  // c[j] = a . B[j, :], B's rows contiguous
    const T* v = contiguous(a, ta ? lda : 1, keep);
    gemv_rows<T>(n, k, alpha, b, ldb, v, c, 1);
    return true;
  }
  if (n == 1 && !ta) {  // c[i] = A[i, :] . b, A's rows contiguous
    const T* v = contiguous(b, tb ? 1 : ldb, keep);
    gemv_rows<T>(m, k, alpha, a, lda, v, c, ldc);
    return true;
  }
  return false;
}

template <typename T>
void gemm_builtin(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
                  int64_t ldb, T beta, T* c, int64_t ldc, bool parallel) {
  constexpr int MR = Tile<T>::MR, NR = Tile<T>::NR;
  // Waking threads costs more than a tiny product; a build without threads (WebAssembly) has none to wake.
  parallel = parallel && m * n * k >= kSmallProduct / 4 && cpu_num_threads() > 1;
  scale_c(m, n, beta, c, ldc, parallel);
  if (k == 0 || alpha == T(0))
    return;
  // Products on one thread skip the packing when they are small.
  if (!parallel && (m == 1 || n == 1) && gemv_product(ta, tb, m, n, k, alpha, a, lda, b, ldb, c, ldc))
    return;
  if (!parallel && !tb && k * n * static_cast<int64_t>(sizeof(T)) <= kDirectMaxB) {
    gemm_direct(ta, m, n, k, alpha, a, lda, b, ldb, c, ldc);
    return;
  }
  const int64_t n_ic = (m + kMC - 1) / kMC;
  std::unique_ptr<T[]> bpack(new T[kKC * (std::min(n, kNC) + NR)]);
  for (int64_t jc = 0; jc < n; jc += kNC) {
    const int64_t nc = std::min(kNC, n - jc);
    const int64_t n_panels = (nc + NR - 1) / NR;
    // With few row blocks, column panels are split too, so small-m products still use every thread.
    const int64_t n_js = std::max<int64_t>(1, std::min<int64_t>(n_panels, 8 / n_ic));
    for (int64_t pc = 0; pc < k; pc += kKC) {
      const int64_t kc = std::min(kKC, k - pc);
      T* bp = bpack.get();
      auto pack = [&](int64_t pb, int64_t pe) { pack_b(tb, b, ldb, pc, kc, jc, nc, pb, pe, bp); };
      auto compute = [&](int64_t tbeg, int64_t tend) {
        std::unique_ptr<T[]> apack(new T[kMC * kKC]);
        int64_t packed_ic = -1;
        for (int64_t t = tbeg; t < tend; ++t) {
          const int64_t ic = t / n_js, js = t % n_js;
          const int64_t i0 = ic * kMC, mc = std::min(kMC, m - i0);
          if (ic != packed_ic) {
            pack_a(ta, a, lda, i0, mc, pc, kc, apack.get());
            packed_ic = ic;
          }
          const int64_t pb = js * n_panels / n_js, pe = (js + 1) * n_panels / n_js;
          for (int64_t jp = pb; jp < pe; ++jp) {
            const int64_t j = jp * NR, nr = std::min<int64_t>(NR, nc - j);
            for (int64_t ip = 0; ip < mc; ip += MR) {
              micro_kernel(kc, apack.get() + ip * kc, bp + jp * NR * kc, alpha, c + (i0 + ip) * ldc + jc + j, ldc,
                           std::min<int64_t>(MR, mc - ip), nr);
            }
          }
        }
      };
      if (parallel) {
        parallel_for(n_panels, 1, pack);
        parallel_for(n_ic * n_js, 1, compute);
      } else {
        pack(0, n_panels);
        compute(0, n_ic * n_js);
      }
    }
  }
}

#if defined(BRAID_HAVE_CBLAS)
#if defined(BRAID_BLAS_PREFIX_SCIPY) && defined(_OPENMP)
// By default OpenBLAS runs its parallel jobs on a pthread pool of its own. Beside the OpenMP team that runs
// braid's kernels that is two sets of spinning threads on the same cores, and the hand-overs between them cost
// more than the small GEMMs of a training step (LeNet). This callback runs OpenBLAS's jobs on the OpenMP team.
// Its level-3 jobs wait on one another, so they must all run at once: one thread per job, and real threads
// when a team cannot be had (a call from inside a parallel region).
void run_blas_jobs(int /*sync*/, openblas_dojob_callback dojob, int numjobs, size_t elsize, void* jobdata,
                   int dojob_data) {
  char* base = static_cast<char*>(jobdata);
  auto job = [&](int i) { dojob(i, base + static_cast<size_t>(i) * elsize, dojob_data); };
  if (numjobs <= 1) {
    if (numjobs == 1)
      job(0);
    return;
  }
  if (!omp_in_parallel() && numjobs <= omp_get_thread_limit()) {
    bool complete = true;
#pragma omp parallel num_threads(numjobs)
    {
      if (omp_get_num_threads() == numjobs) {
        job(omp_get_thread_num());
      } else {
#pragma omp single
        complete = false;
      }
    }
    if (complete)
      return;
  }
  std::vector<std::thread> extra;
  for (int i = 1; i < numjobs; ++i)
    extra.emplace_back(job, i);
  job(0);
  for (std::thread& t : extra)
    t.join();
}

struct BlasThreadsOnOpenMP {
  BlasThreadsOnOpenMP() { scipy_openblas_set_threads_callback_function(&run_blas_jobs); }
} g_blas_threads_on_openmp;
#endif

bool force_builtin() {
  static const bool forced = [] {
    const char* v = std::getenv("BRAID_GEMM");
    return v != nullptr && std::strcmp(v, "builtin") == 0;
  }();
  return forced;
}

// The BLAS takes 32-bit sizes (scipy-openblas32); larger problems use the own kernel.
bool fits_blas(int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb, int64_t ldc) {
  for (int64_t v : {m, n, k, lda, ldb, ldc}) {
    if (v > INT_MAX)
      return false;
  }
  return true;
}

// A product with one row or one column is a matrix-vector product: BLAS gemm would still pack the whole
// matrix (batch-1 inference spends most of its time there), gemv streams it once.
template <typename T, typename Gemm, typename Gemv>
void blas_product(Gemm gemm_fn, Gemv gemv_fn, bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  const int M = static_cast<int>(m), N = static_cast<int>(n), K = static_cast<int>(k);
  if (m == 1) {
    // c (1 x n) = a (1 x k) op(b): with b stored k x n, c = b^T a; stored n x k (tb), c = b a.
    const int inca = ta ? static_cast<int>(lda) : 1;
    if (tb)
      gemv_fn(CblasRowMajor, CblasNoTrans, N, K, alpha, b, static_cast<int>(ldb), a, inca, beta, c, 1);
    else
      gemv_fn(CblasRowMajor, CblasTrans, K, N, alpha, b, static_cast<int>(ldb), a, inca, beta, c, 1);
    return;
  }
  if (n == 1) {
    // c (m x 1) = op(a) b (k x 1).
    const int incb = tb ? 1 : static_cast<int>(ldb);
    if (ta)
      gemv_fn(CblasRowMajor, CblasTrans, K, M, alpha, a, static_cast<int>(lda), b, incb, beta, c,
              static_cast<int>(ldc));
    else
      gemv_fn(CblasRowMajor, CblasNoTrans, M, K, alpha, a, static_cast<int>(lda), b, incb, beta, c,
              static_cast<int>(ldc));
    return;
  }
  gemm_fn(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, a,
          static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

void blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  blas_product<float>(BRAID_CBLAS_SGEMM, BRAID_CBLAS_SGEMV, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
               const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  blas_product<double>(BRAID_CBLAS_DGEMM, BRAID_CBLAS_DGEMV, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
#endif

template <typename T>
void gemm_any(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
              int64_t ldb, T beta, T* c, int64_t ldc, bool parallel) {
  if (m <= 0 || n <= 0)
    return;
#if defined(BRAID_HAVE_CBLAS)
  // k == 0 is left to the own kernel: BLAS implementations differ on whether they then write beta * C.
  if (k > 0 && !force_builtin() && fits_blas(m, n, k, lda, ldb, ldc)) {
    blas_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
#endif
  gemm_builtin(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, parallel);
}

template <typename T>
void gemm_batch_any(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* const* a, int64_t lda,
                    const T* const* b, int64_t ldb, T beta, T* const* c, int64_t ldc, int64_t count) {
  if (m <= 0 || n <= 0 || count <= 0)
    return;
  if (count > 1 && m * n * std::max<int64_t>(k, 1) < kSmallProduct) {
    parallel_for(count, 1, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i)
        gemm_any(ta, tb, m, n, k, alpha, a[i], lda, b[i], ldb, beta, c[i], ldc, false);
    });
    return;
  }
  for (int64_t i = 0; i < count; ++i)
    gemm_any(ta, tb, m, n, k, alpha, a[i], lda, b[i], ldb, beta, c[i], ldc, true);
}

}  // namespace

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
          int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_any(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, true);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  gemm_any(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, true);
}

void gemm_batch(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* const* a, int64_t lda,
                const float* const* b, int64_t ldb, float beta, float* const* c, int64_t ldc, int64_t count) {
  gemm_batch_any(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, count);
}

void gemm_batch(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* const* a, int64_t lda,
                const double* const* b, int64_t ldb, double beta, double* const* c, int64_t ldc, int64_t count) {
  gemm_batch_any(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, count);
}

bool gemm_uses_blas() {
#if defined(BRAID_HAVE_CBLAS)
  return !force_builtin();
#else
  return false;
#endif
}

}  // namespace braid
