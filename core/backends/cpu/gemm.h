// Dense matrix products on the CPU: C = alpha * op(A) * op(B) + beta * C for row-major matrices, where op(X) is
// X or its transpose. op(A) is m x k, op(B) is k x n, C is m x n; lda, ldb, ldc are row strides in elements
// (of the matrices as stored, i.e. before op). Calls the build's BLAS when it has one, else braid's own
// cache-blocked kernel (the one the WebAssembly build uses). Setting BRAID_GEMM=builtin in the environment
// forces the own kernel in a BLAS build, so tests can check both.
#pragma once
#include <cstdint>

namespace braid {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// `count` independent products of the same sizes and strides (a[i], b[i] -> c[i]). Small products run in
// parallel across the batch, large ones one after the other, each using every thread.
void gemm_batch(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* const* a,
                int64_t lda, const float* const* b, int64_t ldb, float beta, float* const* c, int64_t ldc,
                int64_t count);
void gemm_batch(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* const* a,
                int64_t lda, const double* const* b, int64_t ldb, double beta, double* const* c, int64_t ldc,
                int64_t count);

// Whether gemm() calls an external BLAS (false in builds without one, or with BRAID_GEMM=builtin).
bool gemm_uses_blas();

}  // namespace braid
