// Matrix products: dot (MXNet: contracts the last axis of lhs with the first of rhs), batch_dot (3-D, batch on
// axis 0) and matmul (numpy: 1-D promotion and broadcast batch dimensions).
//
// float32 and float64 go straight to gemm() on the input memory whenever each matrix has a unit stride along
// one of its two dimensions (a transposed or sliced view is then passed as a transposed operand or with a
// larger leading dimension), so one whole-matrix call is made per product and nothing is copied. Other
// layouts are copied to contiguous memory first. float16 and bfloat16 compute in float32; integer and bool
// products use an exact loop with 64-bit accumulation (wrapping like numpy's integer matmul).
#include <algorithm>
#include <type_traits>
#include <vector>

#include "backends/cpu/gemm.h"
#include "ops/grad_util.h"
#include "ops/kernel_util.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

// A stored matrix (rows x cols, given its row and column strides) as BLAS sees it: a row-major buffer with
// leading dimension ld, transposed when the columns are the strided dimension. False when neither stride is 1
// (or a stride is zero or negative): the operand is then copied.
bool blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs, int64_t* ld, bool* trans) {
  *trans = false;
  if (rows <= 1 && cols <= 1) {  // the stride of a size-1 dimension never matters
    *ld = 1;
    return true;
  }
  if (cols <= 1) {  // a column: rows x 1 row-major with ld = rs
    *ld = rs;
    return rs >= 1;
  }
  if (rows <= 1) {  // a row: row-major when dense, else the transpose of a cols x 1 column with ld = cs
    *trans = cs != 1;
    *ld = cs == 1 ? cols : cs;
    return cs >= 1;
  }
  if (cs == 1 && rs >= cols) {
    *ld = rs;
    return true;
  }
  if (rs == 1 && cs >= rows) {
    *ld = cs;
    *trans = true;
    return true;
  }
  return false;
}

// The stride of dims [b, e) of t merged into one dimension, or false when they do not merge. Size-1 dims are
// skipped; a group with no larger dim gets stride 0 ("any").
bool merged_stride(const Tensor& t, int b, int e, int64_t* stride) {
  int64_t s = 0, expect = -1;
  bool any = false;
  for (int d = e - 1; d >= b; --d) {
    const int64_t n = t.dim(d), st = t.strides()[d];
    if (n == 1)
      continue;
    if (!any) {
      s = st;
      any = true;
    } else if (st != expect) {
      return false;
    }
    expect = st * n;
  }
  *stride = s;
  return true;
}

// One operand of a (batched) product: matrices of rows x cols, each at data + sum(batch index * bstride).
struct Operand {
  Tensor t;  // the array read: the input, or a contiguous copy of it
  int64_t rows = 1, cols = 1;
  int64_t ld = 1;
  bool trans = false;  // stored column-major (BLAS sees the transpose)
  Shape bstrides;      // per batch dimension of the product, in elements; 0 where broadcast
};

// dims [0, split) of t are the matrix rows and [split, ndim) its columns (dot's view of an N-D array).
Operand grouped_operand(Tensor t, int split) {
  Operand o;
  const int nd = t.ndim();
  for (int d = 0; d < nd; ++d)
    (d < split ? o.rows : o.cols) *= t.dim(d);
  int64_t rs = 0, cs = 0;
  bool ok = merged_stride(t, 0, split, &rs) && merged_stride(t, split, nd, &cs) &&
            blas_layout(o.rows, o.cols, rs, cs, &o.ld, &o.trans);
  if (!ok) {
    t = contiguous(t);
    blas_layout(o.rows, o.cols, o.cols, 1, &o.ld, &o.trans);
  }
  o.t = t;
  return o;
}

// The last two dims of t are the matrix (a 1-D t is one row, or one column when as_column); the leading dims
// are aligned to the right of batch (numpy broadcasting) and get stride 0 where t has size 1.
Operand batched_operand(Tensor t, const Shape& batch, bool as_column) {
  const int nd = t.ndim();
  auto describe = [&](Operand* o) {
    int64_t rs, cs;
    if (nd == 1) {
      o->rows = as_column ? t.dim(0) : 1;
      o->cols = as_column ? 1 : t.dim(0);
      rs = as_column ? t.strides()[0] : 0;
      cs = as_column ? 0 : t.strides()[0];
    } else {
      o->rows = t.dim(nd - 2);
      o->cols = t.dim(nd - 1);
      rs = t.strides()[nd - 2];
      cs = t.strides()[nd - 1];
    }
    return blas_layout(o->rows, o->cols, rs, cs, &o->ld, &o->trans);
  };
  Operand o;
  if (!describe(&o)) {
    t = contiguous(t);
    describe(&o);
  }
  o.t = t;
  const int tb = std::max(nd - 2, 0);
  o.bstrides.assign(batch.size(), 0);
  for (int i = 0; i < tb; ++i) {
    const size_t bi = batch.size() - tb + i;
    o.bstrides[bi] = t.dim(i) == 1 ? 0 : t.strides()[i];
  }
  return o;
}

// Integer and bool products: exact, accumulating in uint64 (wrapping like numpy's int64 arithmetic), then
// truncated to T (bool: any nonzero term).
template <typename T>
void gemm_exact(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb,
                T* c, int64_t ldc) {
  std::vector<uint64_t> acc(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    std::fill(acc.begin(), acc.end(), 0);
    for (int64_t p = 0; p < k; ++p) {
      const uint64_t x = static_cast<uint64_t>(static_cast<int64_t>(ta ? a[p * lda + i] : a[i * lda + p]));
      if (x == 0)
        continue;
      if (tb) {
        for (int64_t j = 0; j < n; ++j)
          acc[j] += x * static_cast<uint64_t>(static_cast<int64_t>(b[j * ldb + p]));
      } else {
        const T* row = b + p * ldb;
        for (int64_t j = 0; j < n; ++j)
          acc[j] += x * static_cast<uint64_t>(static_cast<int64_t>(row[j]));
      }
    }
    for (int64_t j = 0; j < n; ++j) {
      if constexpr (std::is_same<T, bool>::value) {
        c[i * ldc + j] = acc[j] != 0;
      } else {
        c[i * ldc + j] = static_cast<T>(acc[j]);
      }
    }
  }
}

// C[batch..., m, n] = op_a(A) * op_b(B) for every batch index, C contiguous in dtype T.
template <typename T>
void run_products(const Operand& A, bool op_ta, const Operand& B, bool op_tb, int64_t m, int64_t n, int64_t k,
                  const Shape& batch, T* c) {
  const bool ta = op_ta != A.trans, tb = op_tb != B.trans;
  const T* a = A.t.data<T>();
  const T* b = B.t.data<T>();
  const int64_t count = shape_numel(batch);
  if (count == 0 || m == 0 || n == 0)
    return;

  // A broadcast rhs and a lhs whose batch of row-major matrices is one tall matrix: a single product.
  bool b_fixed = true;
  for (int64_t s : B.bstrides)
    b_fixed = b_fixed && s == 0;
  if (count > 1 && b_fixed && !ta && A.t.is_contiguous() && A.rows == m) {
    bool a_dense = true;
    for (size_t i = 0; i < batch.size(); ++i)
      a_dense = a_dense && (A.bstrides[i] != 0 || batch[i] == 1);
    if (a_dense && A.ld == k) {
      const int64_t rows = count * m;
      if constexpr (std::is_floating_point<T>::value) {
        gemm(false, tb, rows, n, k, T(1), a, k, b, B.ld, T(0), c, n);
      } else {
        parallel_for(
            rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n * k, 1)),
            [&](int64_t s, int64_t e) { gemm_exact(false, tb, e - s, n, k, a + s * k, k, b, B.ld, c + s * n, n); });
      }
      return;
    }
  }

  std::vector<const T*> pa(static_cast<size_t>(count)), pb(static_cast<size_t>(count));
  std::vector<T*> pc(static_cast<size_t>(count));
  const int bd = static_cast<int>(batch.size());
  std::vector<int64_t> idx(bd, 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t oa = 0, ob = 0;
    for (int d = 0; d < bd; ++d) {
      oa += idx[d] * A.bstrides[d];
      ob += idx[d] * B.bstrides[d];
    }
    pa[i] = a + oa;
    pb[i] = b + ob;
    pc[i] = c + i * m * n;
    for (int d = bd - 1; d >= 0; --d) {
      if (++idx[d] < batch[d])
        break;
      idx[d] = 0;
    }
  }
  if constexpr (std::is_floating_point<T>::value) {
    if (count == 1) {
      gemm(ta, tb, m, n, k, T(1), pa[0], A.ld, pb[0], B.ld, T(0), pc[0], n);
    } else {
      gemm_batch(ta, tb, m, n, k, T(1), pa.data(), A.ld, pb.data(), B.ld, T(0), pc.data(), n, count);
    }
  } else if (count == 1) {
    parallel_for(m, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n * k, 1)), [&](int64_t s, int64_t e) {
      gemm_exact(ta, tb, e - s, n, k, ta ? pa[0] + s : pa[0] + s * A.ld, A.ld, pb[0], B.ld, pc[0] + s * n, n);
    });
  } else {
    parallel_for(count, 1, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i)
        gemm_exact(ta, tb, m, n, k, pa[i], A.ld, pb[i], B.ld, pc[i], n);
    });
  }
}

// The dtype products are computed in: 16-bit floats in float32, everything else in its own type.
DType compute_dtype(DType t) {
  return t == DType::kFloat16 || t == DType::kBFloat16 ? DType::kFloat32 : t;
}

// Runs make_operands on the (converted) inputs and the products into out, through a float32 or contiguous
// buffer when out is not directly writable.
template <typename MakeOperands>
void product_kernel(const Tensor& lhs, const Tensor& rhs, const Tensor& out, MakeOperands make_operands) {
  if (out.numel() == 0)
    return;
  const DType ct = compute_dtype(out.dtype());
  Tensor l = lhs.dtype() == ct ? lhs : contiguous_as(lhs, ct);
  Tensor r = rhs.dtype() == ct ? rhs : contiguous_as(rhs, ct);
  Tensor buf = (ct == out.dtype() && out.is_contiguous()) ? out : Tensor::empty(out.shape(), ct, out.ctx());
  dispatch_dtype(ct, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same<T, float16>::value || std::is_same<T, bfloat16>::value) {
      fail(ErrorKind::kRuntime, "internal error: 16-bit product not converted");
    } else {
      make_operands([&](const Operand& A, bool ta, const Operand& B, bool tb, int64_t m, int64_t n, int64_t k,
                        const Shape& batch) { run_products<T>(A, ta, B, tb, m, n, k, batch, buf.data<T>()); },
                    l, r);
    }
  });
  if (buf.impl() != out.impl())
    copy_into(buf, out);
}

void check_same_dtype(const OpAttrs& a, const Metas& in) {
  const auto& names = a.op()->input_names;
  BRAID_CHECK(in[0].dtype == in[1].dtype, kType, a.op()->name, ": ", names[0], " and ", names[1],
              " must have the same dtype, got ", dtype_name(in[0].dtype), " and ", dtype_name(in[1].dtype), " (shapes ",
              shape_str(in[0].shape), " and ", shape_str(in[1].shape), ")");
}

// ---- dot ----------------------------------------------------------------------------------------------------

// dot's view of lhs (m x k) and rhs (k x n) as stored matrices: the split between row and column dims.
struct DotPlan {
  int lsplit, rsplit;
  int64_t m, n, k;
  Shape out;
};

DotPlan plan_dot(const OpAttrs& a, const Shape& l, const Shape& r) {
  const bool ta = a.get_bool("transpose_a"), tb = a.get_bool("transpose_b");
  const int ln = static_cast<int>(l.size()), rn = static_cast<int>(r.size());
  BRAID_CHECK(ln >= 1 && rn >= 1, kValue, "dot: inputs must have at least one dimension, got shapes ", shape_str(l),
              " and ", shape_str(r));
  BRAID_CHECK(!(ln == 1 && rn == 1 && (ta || tb)), kValue,
              "dot: transpose_a and transpose_b cannot be used with two 1-D inputs, got shapes ", shape_str(l), " and ",
              shape_str(r));
  DotPlan p;
  // lhs is stored as (m, k), or as (k, m) with transpose_a; a 1-D lhs is a single row of k either way.
  p.lsplit = ln == 1 ? (ta ? 1 : 0) : (ta ? 1 : ln - 1);
  p.rsplit = rn == 1 ? (tb ? 0 : 1) : (tb ? rn - 1 : 1);
  const int64_t l0 = shape_numel(Shape(l.begin(), l.begin() + p.lsplit));
  const int64_t l1 = shape_numel(Shape(l.begin() + p.lsplit, l.end()));
  const int64_t r0 = shape_numel(Shape(r.begin(), r.begin() + p.rsplit));
  const int64_t r1 = shape_numel(Shape(r.begin() + p.rsplit, r.end()));
  p.m = ta ? l1 : l0;
  const int64_t lk = ta ? l0 : l1;
  p.n = tb ? r0 : r1;
  p.k = tb ? r1 : r0;
  BRAID_CHECK(lk == p.k, kValue, "dot: shapes ", shape_str(l), " and ", shape_str(r), " are not aligned (lhs has ", lk,
              " elements to contract, rhs ", p.k, "; transpose_a=", ta ? "True" : "False",
              ", transpose_b=", tb ? "True" : "False", ")");
  if (ln > 1)
    p.out.insert(p.out.end(), ta ? l.begin() + 1 : l.begin(), ta ? l.end() : l.end() - 1);
  if (rn > 1)
    p.out.insert(p.out.end(), tb ? r.begin() : r.begin() + 1, tb ? r.end() - 1 : r.end());
  return p;
}

void dot_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const DotPlan p = plan_dot(a, in[0].shape(), in[1].shape());
  const bool ta = a.get_bool("transpose_a"), tb = a.get_bool("transpose_b");
  product_kernel(in[0], in[1], out[0], [&](auto&& run, const Tensor& l, const Tensor& r) {
    run(grouped_operand(l, p.lsplit), ta, grouped_operand(r, p.rsplit), tb, p.m, p.n, p.k, Shape{});
  });
}

// ---- batch_dot and matmul -----------------------------------------------------------------------------------

struct BatchPlan {
  Shape batch;
  int64_t m, n, k;
  Shape out;
};

BatchPlan plan_batch_dot(const OpAttrs& a, const Shape& l, const Shape& r) {
  const bool ta = a.get_bool("transpose_a"), tb = a.get_bool("transpose_b");
  BRAID_CHECK(l.size() == 3 && r.size() == 3, kValue, "batch_dot: lhs and rhs must be 3-D, got shapes ", shape_str(l),
              " and ", shape_str(r));
  BRAID_CHECK(l[0] == r[0], kValue, "batch_dot: batch sizes differ: shapes ", shape_str(l), " and ", shape_str(r));
  BatchPlan p;
  p.batch = {l[0]};
  p.m = ta ? l[2] : l[1];
  const int64_t lk = ta ? l[1] : l[2];
  p.k = tb ? r[2] : r[1];
  p.n = tb ? r[1] : r[2];
  BRAID_CHECK(lk == p.k, kValue, "batch_dot: shapes ", shape_str(l), " and ", shape_str(r),
              " are not aligned (lhs has ", lk, " elements to contract, rhs ", p.k,
              "; transpose_a=", ta ? "True" : "False", ", transpose_b=", tb ? "True" : "False", ")");
  p.out = {l[0], p.m, p.n};
  return p;
}

BatchPlan plan_matmul(const Shape& l, const Shape& r) {
  const size_t ln = l.size(), rn = r.size();
  BRAID_CHECK(ln >= 1 && rn >= 1, kValue, "matmul: inputs must have at least one dimension, got shapes ", shape_str(l),
              " and ", shape_str(r));
  BatchPlan p;
  p.m = ln == 1 ? 1 : l[ln - 2];
  const int64_t lk = l[ln - 1];
  p.k = rn == 1 ? r[0] : r[rn - 2];
  p.n = rn == 1 ? 1 : r[rn - 1];
  BRAID_CHECK(lk == p.k, kValue, "matmul: shapes ", shape_str(l), " and ", shape_str(r), " are not aligned (a has ", lk,
              " columns, b has ", p.k, " rows)");
  const size_t lb = ln > 2 ? ln - 2 : 0, rb = rn > 2 ? rn - 2 : 0, nb = std::max(lb, rb);
  p.batch.assign(nb, 1);
  for (size_t i = 0; i < nb; ++i) {
    const int64_t dl = i < nb - lb ? 1 : l[i - (nb - lb)];
    const int64_t dr = i < nb - rb ? 1 : r[i - (nb - rb)];
    BRAID_CHECK(dl == dr || dl == 1 || dr == 1, kValue, "matmul: batch dimensions of shapes ", shape_str(l), " and ",
                shape_str(r), " do not broadcast");
    p.batch[i] = dl == 1 ? dr : dl;
  }
  p.out = p.batch;
  if (ln > 1)
    p.out.push_back(p.m);
  if (rn > 1)
    p.out.push_back(p.n);
  return p;
}

void add_transpose_attrs(OpDef& d) {
  d.attr_bool("transpose_a", false, "use the transpose of lhs")
      .attr_bool("transpose_b", false, "use the transpose of rhs");
}

// Gradients of out = op(A) . op(B) for matrices (op transposes when the flag is set).
std::pair<Tensor, Tensor> matrix_product_grad(const Tensor& A, const Tensor& B, const Tensor& dy, bool ta, bool tb,
                                              const char* prod) {
  auto p = [prod](const Tensor& x, const Tensor& y, bool tx, bool ty) {
    return call(prod, {x, y}, {{"transpose_a", tx}, {"transpose_b", ty}});
  };
  if (!ta && !tb)
    return {p(dy, B, false, true), p(A, dy, true, false)};
  if (ta && !tb)
    return {p(B, dy, false, true), p(A, dy, false, false)};
  if (!ta && tb)
    return {p(dy, B, false, false), p(dy, A, true, false)};
  return {p(B, dy, true, true), p(dy, A, true, true)};
}

void register_linalg_grads(Registry& r) {
  r.def("dot").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    const Tensor &A = in[0], &B = in[1];
    const bool ta = a.get_bool("transpose_a"), tb = a.get_bool("transpose_b");
    if (A.ndim() == 2 && B.ndim() == 2) {
      auto [da, db] = matrix_product_grad(A, B, og[0], ta, tb, "dot");
      return Tensors{da, db};
    }
    BRAID_CHECK(!ta && !tb, kNotImplemented, "dot: gradient with transpose_a/transpose_b needs 2-D inputs");
    // N-D: contract the last axis of A with the first of B, as matrices (M, K) x (K, N).
    const int64_t K = A.ndim() ? A.dim(A.ndim() - 1) : 1;
    const int64_t M = K ? A.numel() / K : 0, N = K ? B.numel() / K : 0;
    Tensor A2 = g::reshape(A, {M, K}), B2 = g::reshape(B, {K, N}), G2 = g::reshape(og[0], {M, N});
    auto [da, db] = matrix_product_grad(A2, B2, G2, false, false, "dot");
    return Tensors{g::reshape(da, A.shape()), g::reshape(db, B.shape())};
  });
  r.def("batch_dot").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    auto [da, db] =
        matrix_product_grad(in[0], in[1], og[0], a.get_bool("transpose_a"), a.get_bool("transpose_b"), "batch_dot");
    return Tensors{da, db};
  });
  r.def("matmul").set_grad([](const OpAttrs&, const Tensors& in, const Tensors&, const Tensors& og) {
    // Promote 1-D operands as the forward does, differentiate the batched product, then undo.
    Tensor A = in[0], B = in[1], G = og[0];
    Shape as = A.shape(), bs = B.shape();
    if (A.ndim() == 1)
      A = g::reshape(A, {1, as[0]});
    if (B.ndim() == 1)
      B = g::reshape(B, {bs[0], 1});
    Shape gs = G.shape();
    if (in[0].ndim() == 1)
      gs.insert(gs.end() - (in[1].ndim() == 1 ? 0 : 1), 1);
    if (in[1].ndim() == 1)
      gs.push_back(1);
    G = g::reshape(G, gs);
    auto swap = [](const Tensor& t) { return call("swapaxes", {t}, {{"dim1", int64_t(-1)}, {"dim2", int64_t(-2)}}); };
    Tensor da = call("matmul", {G, swap(B)});
    Tensor db = call("matmul", {swap(A), G});
    return Tensors{g::reshape(sum_to_shape(da, A.shape()), as), g::reshape(sum_to_shape(db, B.shape()), bs)};
  });
}

}  // namespace

void register_linalg_ops(Registry& r) {
  OpDef& dot = r.add("dot")
                   .describe(
                       "Dot product, MXNet semantics: two 1-D arrays give their inner product (shape ()); "
                       "2-D arrays their matrix product; N-D arrays contract the last axis of lhs with the "
                       "first axis of rhs (with transpose_a, the first axis of lhs; with transpose_b, the last "
                       "axis of rhs). Both inputs must have the same dtype.")
                   .inputs({"lhs", "rhs"});
  add_transpose_attrs(dot);
  dot.set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
       check_same_dtype(a, in);
       (*out)[0].shape = plan_dot(a, in[0].shape, in[1].shape).out;
       (*out)[0].dtype = in[0].dtype;
     })
      .set_cpu(dot_kernel);

  OpDef& bdot = r.add("batch_dot")
                    .describe(
                        "Batched matrix product of 3-D arrays: out[i] = op(lhs[i]) x op(rhs[i]), where op "
                        "transposes when transpose_a / transpose_b is set.")
                    .inputs({"lhs", "rhs"});
  add_transpose_attrs(bdot);
  bdot.set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_same_dtype(a, in);
        (*out)[0].shape = plan_batch_dot(a, in[0].shape, in[1].shape).out;
        (*out)[0].dtype = in[0].dtype;
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        const BatchPlan p = plan_batch_dot(a, in[0].shape(), in[1].shape());
        const bool ta = a.get_bool("transpose_a"), tb = a.get_bool("transpose_b");
        product_kernel(in[0], in[1], out[0], [&](auto&& run, const Tensor& l, const Tensor& rt) {
          run(batched_operand(l, p.batch, false), ta, batched_operand(rt, p.batch, false), tb, p.m, p.n, p.k, p.batch);
        });
      });

  r.add("matmul")
      .describe(
          "Matrix product with numpy semantics: a 1-D lhs is a row vector and a 1-D rhs a column vector "
          "(the added dimension is removed from the result); leading dimensions are batch dimensions and "
          "broadcast. Both inputs must have the same dtype.")
      .inputs({"a", "b"})
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_same_dtype(a, in);
        (*out)[0].shape = plan_matmul(in[0].shape, in[1].shape).out;
        (*out)[0].dtype = in[0].dtype;
      })
      .set_cpu([](const OpContext&, const OpAttrs&, const Tensors& in, const Tensors& out) {
        const BatchPlan p = plan_matmul(in[0].shape(), in[1].shape());
        product_kernel(in[0], in[1], out[0], [&](auto&& run, const Tensor& l, const Tensor& rt) {
          run(batched_operand(l, p.batch, false), false, batched_operand(rt, p.batch, true), false, p.m, p.n, p.k,
              p.batch);
        });
      });
  register_linalg_grads(r);
}

}  // namespace braid
