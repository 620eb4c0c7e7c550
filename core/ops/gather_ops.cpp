// Gathers and scatters by tuples of integer indices: gather_nd (MXNet) and its in-place counterpart
// _scatter_set_nd. They are what numpy-style advanced indexing compiles to: the Python layer moves the indexed
// axes to the front of a view, then reads or writes through these ops.
//
// indices has shape (M, Y...): column y holds one index per leading axis of data, so the M leading axes of data
// are replaced by Y... and the trailing axes come along whole. Negative indices count from the end; indices out
// of range raise an index error from the kernel (it surfaces when the result is next read).
#include <type_traits>

#include "ops/index_util.h"
#include "ops/kernel_util.h"
#include "ops/op_call.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

// The gathered shape Y... + data.shape[M:], after checking indices against data.
Shape indexed_shape(const char* op, const Shape& data, const Shape& indices) {
  BRAID_CHECK(!indices.empty(), kValue, op, ": indices must have at least one dimension (M, ...), got a scalar");
  const int64_t m = indices[0];
  BRAID_CHECK(m >= 1 && m <= static_cast<int64_t>(data.size()), kValue, op, ": indices.shape[0]=", m,
              " must be between 1 and data's number of dimensions (", data.size(), ")");
  Shape out(indices.begin() + 1, indices.end());
  if (shape_numel(out) > 0) {
    for (int64_t i = 0; i < m; ++i) {
      BRAID_CHECK(data[i] > 0, kIndex, op, ": cannot index into axis ", i, " of size 0");
    }
  }
  out.insert(out.end(), data.begin() + m, data.end());
  return out;
}

// Element offsets into t of the block selected by each index column, after validating every index.
std::vector<int64_t> column_offsets(const char* op, const Tensor& t, const Tensor& indices) {
  const int m = static_cast<int>(indices.dim(0));
  const int64_t cols = m ? indices.numel() / m : 0;
  std::vector<int64_t> base(cols, 0);
  for (int i = 0; i < m; ++i) {
    const std::vector<int64_t> pos = read_indices(select(indices, 0, i), t.dim(i), IndexMode::kRaise, op, i);
    const int64_t st = t.strides()[i];
    parallel_for(cols, kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c)
        base[c] += pos[c] * st;
    });
  }
  return base;
}

// The trailing (non-indexed) axes of t: the block copied per index column.
void block_of(const Tensor& t, int m, Shape* shape, Shape* strides) {
  shape->assign(t.shape().begin() + m, t.shape().end());
  strides->assign(t.strides().begin() + m, t.strides().end());
}

void gather_nd_kernel(const OpContext&, const OpAttrs&, const Tensors& in, const Tensors& out) {
  const Tensor& data = in[0];
  const Tensor& indices = in[1];
  const std::vector<int64_t> base = column_offsets("gather_nd", data, indices);
  Shape bs, bst;
  block_of(data, static_cast<int>(indices.dim(0)), &bs, &bst);
  const int64_t k = shape_numel(bs), cols = static_cast<int64_t>(base.size());
  if (k == 0 || cols == 0)
    return;
  const bool dense = block_is_contiguous(bs, bst);
  const std::vector<int64_t> offs = dense ? std::vector<int64_t>() : block_offsets(bs, bst);
  Tensor o = out[0].is_contiguous() ? out[0] : Tensor::empty(out[0].shape(), out[0].dtype(), out[0].ctx());
  dispatch_elem_size(dtype_size(data.dtype()), [&](auto tag) {
    using W = typename decltype(tag)::type;
    const W* x = static_cast<const W*>(data.raw_data());
    W* y = static_cast<W*>(o.raw_data());
    parallel_for(cols, std::max<int64_t>(1, kParallelGrain / k), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const W* s = x + base[c];
        W* d = y + c * k;
        if (dense) {
          for (int64_t j = 0; j < k; ++j)
            d[j] = s[j];
        } else {
          for (int64_t j = 0; j < k; ++j)
            d[j] = s[offs[j]];
        }
      }
    });
  });
  if (o.impl() != out[0].impl())
    copy_into(o, out[0]);
}

// Gradient of gather_nd with respect to data: zeros of data's shape with each out_grad block added at the
// position it was gathered from (a position gathered twice gets both). Columns are added in order; threads split
// the block, so repeated indices never race.
void backward_gather_nd_kernel(const OpContext&, const OpAttrs&, const Tensors& in, const Tensors& out) {
  const Tensor dy = contiguous(in[0]);
  const Tensor& indices = in[1];
  const Tensor o = out[0].is_contiguous() ? out[0] : Tensor::empty(out[0].shape(), out[0].dtype(), out[0].ctx());
  {
    const std::vector<int64_t> base = column_offsets("gather_nd", o, indices);
    const int m = static_cast<int>(indices.dim(0));
    int64_t k = 1;
    for (int i = m; i < o.ndim(); ++i)
      k *= o.dim(i);
    const int64_t cols = static_cast<int64_t>(base.size());
    dispatch_float(o.dtype(), "gather_nd (gradient)", [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* y = o.data<T>();
      std::fill(y, y + o.numel(), T(0));
      const T* g = dy.data<T>();
      if (k == 0 || cols == 0)
        return;
      parallel_for(k, kParallelGrain, [&](int64_t jb, int64_t je) {
        for (int64_t c = 0; c < cols; ++c) {
          T* d = y + base[c];
          const T* src = g + c * k;
          for (int64_t j = jb; j < je; ++j)
            if constexpr (std::is_floating_point<T>::value)
              d[j] += src[j];
            else  // float16 / bfloat16 storage types: add in float
              d[j] = static_cast<T>(static_cast<float>(d[j]) + static_cast<float>(src[j]));
        }
      });
    });
  }
  if (o.impl() != out[0].impl())
    copy_into(o, out[0]);
}

bool same_view(const Tensor& a, const Tensor& b) {
  return a.impl()->storage == b.impl()->storage && a.impl()->offset == b.impl()->offset && a.shape() == b.shape() &&
         a.strides() == b.strides() && a.dtype() == b.dtype();
}

void scatter_set_nd_kernel(const OpContext&, const OpAttrs&, const Tensors& in, const Tensors& out) {
  const Tensor &lhs = in[0], &rhs = in[1], &indices = in[2], &o = out[0];
  const Shape target = indexed_shape("_scatter_set_nd", o.shape(), indices.shape());
  // The values are read completely before o is touched: rhs may be a view of the array being written.
  Tensor upd;
  if (rhs.shape() == target && rhs.var_ptr() != o.var_ptr()) {
    upd = contiguous_as(rhs, o.dtype());
  } else {
    upd = Tensor::empty(target, o.dtype(), o.ctx());
    copy_into(rhs, upd);
  }
  // Every index is validated before anything is written, so a bad one leaves the array unchanged.
  const std::vector<int64_t> base = column_offsets("_scatter_set_nd", o, indices);
  if (!same_view(lhs, o)) {
    Tensor src = lhs;
    if (lhs.var_ptr() == o.var_ptr()) {  // overlapping views of one array: copy through a temporary
      src = Tensor::empty(lhs.shape(), lhs.dtype(), lhs.ctx());
      copy_into(lhs, src);
    }
    copy_into(src, o);
  }
  Shape bs, bst;
  block_of(o, static_cast<int>(indices.dim(0)), &bs, &bst);
  const int64_t k = shape_numel(bs), cols = static_cast<int64_t>(base.size());
  if (k == 0 || cols == 0)
    return;
  const bool dense = block_is_contiguous(bs, bst);
  const std::vector<int64_t> offs = dense ? std::vector<int64_t>() : block_offsets(bs, bst);
  dispatch_elem_size(dtype_size(o.dtype()), [&](auto tag) {
    using W = typename decltype(tag)::type;
    const W* u = static_cast<const W*>(upd.raw_data());
    W* y = static_cast<W*>(o.raw_data());
    // Columns are written in order, so a repeated index keeps the last value (numpy's rule); threads split the
    // block instead, which keeps that order.
    parallel_for(k, kParallelGrain, [&](int64_t jb, int64_t je) {
      for (int64_t c = 0; c < cols; ++c) {
        W* d = y + base[c];
        const W* s = u + c * k;
        if (dense) {
          for (int64_t j = jb; j < je; ++j)
            d[j] = s[j];
        } else {
          for (int64_t j = jb; j < je; ++j)
            d[offs[j]] = s[j];
        }
      }
    });
  });
}

}  // namespace

void register_gather_ops(Registry& r) {
  r.add("gather_nd")
      .describe(
          "Gathers blocks of data by tuples of indices: indices has shape (M, Y...) and the result has shape "
          "Y... + data.shape[M:], with out[y...] = data[indices[0, y...], ..., indices[M-1, y...]]. Negative indices "
          "count from the end; out-of-range indices raise an index error (when the result is next read).")
      .inputs({"data", "indices"})
      .set_infer([](const OpAttrs&, const Metas& in, Metas* out) {
        (*out)[0] = TensorMeta{indexed_shape("gather_nd", in[0].shape, in[1].shape), in[0].dtype};
      })
      .set_cpu(gather_nd_kernel);

  r.add("_backward_gather_nd")
      .describe("Gradient of gather_nd with respect to data: out_grad blocks summed at the gathered positions.")
      .inputs({"out_grad", "indices", "data"})
      .set_infer([](const OpAttrs&, const Metas& in, Metas* out) { (*out)[0] = TensorMeta{in[2].shape, in[0].dtype}; })
      .set_cpu(backward_gather_nd_kernel);
  r.def("gather_nd").set_grad([](const OpAttrs&, const Tensors& in, const Tensors&, const Tensors& og) {
    return Tensors{call("_backward_gather_nd", {og[0], in[1].detached(), in[0].detached()}), Tensor()};
  });

  r.add("_scatter_set_nd")
      .describe(
          "lhs with the blocks addressed by indices (as in gather_nd) set to rhs, which broadcasts to "
          "indices.shape[1:] + lhs.shape[M:] and converts to lhs's dtype. Meant for out=lhs (in-place assignment); "
          "with repeated indices the last value wins.")
      .inputs({"lhs", "rhs", "indices"})
      .set_infer([](const OpAttrs&, const Metas& in, Metas* out) {
        const Shape target = indexed_shape("_scatter_set_nd", in[0].shape, in[2].shape);
        const Shape& v = in[1].shape;
        bool ok = v.size() <= target.size();
        for (size_t i = 0; ok && i < v.size(); ++i) {
          ok = v[v.size() - 1 - i] == 1 || v[v.size() - 1 - i] == target[target.size() - 1 - i];
        }
        BRAID_CHECK(ok, kValue, "_scatter_set_nd: rhs of shape ", shape_str(in[1].shape),
                    " cannot be broadcast to the indexed shape ", shape_str(target));
        (*out)[0] = in[0];
      })
      .set_cpu(scatter_set_nd_kernel);
}

}  // namespace braid
