// Reductions over axes: sum, mean, prod, max, min, nansum, nanprod, norm, argmax and argmin, with MXNet's
// attributes (axis, keepdims, exclude). Reducing over every axis gives a 0-d array, as numpy does.
//
// Every reduction is brought to one of two memory layouts so that the inner loop runs over contiguous memory:
// the input is seen as (outer, red, inner) with adjacent reduced axes merged into `red`. With inner == 1 each
// output reduces one contiguous row (lane accumulators, vectorised); otherwise whole rows of `inner` elements
// are accumulated into a column buffer (an elementwise, vectorised update). Reduced axes that do not form one
// block (axes 0 and 2 of 3) are reduced in stages, one block at a time. How the work is split depends on the
// shape only, never on the thread count, so results are bit-identical whatever braid.set_num_threads says.
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>

#include "ops/grad_util.h"
#include "ops/kernel_util.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

enum class Kind { kSum, kMean, kProd, kMax, kMin, kNanSum, kNanProd, kNorm1, kNorm2 };

template <typename T>
constexpr bool kIsFloat = std::is_floating_point<compute_t<T>>::value;

// Accumulator of sums and products: floats in double, integers in uint64 (wrap-around is defined for unsigned
// types; the result is truncated to the output type like numpy's).
template <typename T>
using wide_t = std::conditional_t<kIsFloat<T>, double, uint64_t>;

template <typename TO, typename A>
TO out_cast(A a) {
  if constexpr (std::is_same<TO, float16>::value || std::is_same<TO, bfloat16>::value) {
    return TO(static_cast<float>(a));
  } else {
    return static_cast<TO>(a);
  }
}

template <typename A>
bool is_nan(A x) {
  if constexpr (std::is_floating_point<A>::value) {
    return x != x;
  } else {
    return false;
  }
}

template <typename A>
double as_double(A a) {  // an integer accumulator holds a two's complement sum
  if constexpr (std::is_same<A, uint64_t>::value) {
    return static_cast<double>(static_cast<int64_t>(a));
  } else {
    return static_cast<double>(a);
  }
}

// Reducers: init() is the identity, step() folds one input element, merge() combines two partial results
// (in a fixed order) and finish() turns the accumulator into the output value given the reduced count.
template <typename T>
struct SumR {
  using A = wide_t<T>;
  static A init() { return A(0); }
  static A step(A a, T x) { return a + static_cast<A>(static_cast<compute_t<T>>(x)); }
  static A merge(A a, A b) { return a + b; }
  template <typename TO>
  static TO finish(A a, int64_t) {
    return out_cast<TO>(a);
  }
};

template <typename T>
struct NanSumR : SumR<T> {
  using A = wide_t<T>;
  static A step(A a, T x) {
    A v = static_cast<A>(static_cast<compute_t<T>>(x));
    return is_nan(v) ? a : a + v;
  }
};

template <typename T>
struct MeanR : SumR<T> {
  using A = wide_t<T>;
  template <typename TO>
  static TO finish(A a, int64_t n) {
    return out_cast<TO>(as_double(a) / static_cast<double>(n));
  }
};

template <typename T>
struct ProdR {
  using A = wide_t<T>;
  static A init() { return A(1); }
  static A step(A a, T x) { return a * static_cast<A>(static_cast<compute_t<T>>(x)); }
  static A merge(A a, A b) { return a * b; }
  template <typename TO>
  static TO finish(A a, int64_t) {
    return out_cast<TO>(a);
  }
};

template <typename T>
struct NanProdR : ProdR<T> {
  using A = wide_t<T>;
  static A step(A a, T x) {
    A v = static_cast<A>(static_cast<compute_t<T>>(x));
    return is_nan(v) ? a : a * v;
  }
};

// max/min propagate NaN like numpy: once a NaN is seen it sticks, since no comparison with it is true.
template <typename T, bool kMax>
struct ExtremeR {
  using A = compute_t<T>;
  static A init() {
    if constexpr (std::is_floating_point<A>::value) {
      return kMax ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::infinity();
    } else {
      return kMax ? std::numeric_limits<A>::lowest() : std::numeric_limits<A>::max();
    }
  }
  static A merge(A a, A x) { return ((kMax ? x > a : x < a) || is_nan(x)) ? x : a; }
  static A step(A a, T x) { return merge(a, static_cast<A>(x)); }
  template <typename TO>
  static TO finish(A a, int64_t) {
    return out_cast<TO>(a);
  }
};

template <typename T>
using norm_acc_t = std::conditional_t<kIsFloat<T>, wide_t<T>, double>;

template <typename T, int kOrd>
struct NormR {
  using A = norm_acc_t<T>;
  static A init() { return A(0); }
  static A step(A a, T x) {
    A v = static_cast<A>(static_cast<compute_t<T>>(x));
    return kOrd == 1 ? a + (v < A(0) ? -v : v) : a + v * v;
  }
  static A merge(A a, A b) { return a + b; }
  template <typename TO>
  static TO finish(A a, int64_t) {
    return out_cast<TO>(kOrd == 1 ? a : std::sqrt(a));
  }
};

DType reduce_out_dtype(Kind k, DType in) {
  switch (k) {
    case Kind::kSum:
    case Kind::kProd:
    case Kind::kNanSum:
    case Kind::kNanProd:
      return in == DType::kBool ? DType::kInt64 : in;
    case Kind::kMean:
    case Kind::kNorm1:
    case Kind::kNorm2:
      return dtype_is_float(in) ? in : DType::kFloat32;
    case Kind::kMax:
    case Kind::kMin:
      return in;
  }
  return in;
}

// ---- axes ---------------------------------------------------------------------------------------------------

// mask[d]: whether axis d is reduced. None (or MXNet's empty tuple) means every axis.
std::vector<bool> reduce_mask(const OpAttrs& a, int ndim, const std::vector<int64_t>* axes, bool exclude) {
  const char* op = a.op()->name.c_str();
  if (axes == nullptr || axes->empty())
    return std::vector<bool>(ndim, true);
  std::vector<bool> mask(ndim, false);
  for (int64_t ax : *axes) {
    int n = normalize_axis(ax, ndim, op, "axis");
    BRAID_CHECK(!mask[n], kValue, op, ": axis=", shape_str(*axes), " names axis ", n, " more than once");
    mask[n] = true;
  }
  if (exclude)
    mask.flip();
  return mask;
}

Shape reduced_shape(const Shape& s, const std::vector<bool>& mask, bool keepdims) {
  Shape r;
  for (size_t d = 0; d < s.size(); ++d) {
    if (!mask[d]) {
      r.push_back(s[d]);
    } else if (keepdims) {
      r.push_back(1);
    }
  }
  return r;
}

// max, min, argmax and argmin have no identity: an empty reduction that must produce values is an error.
void check_nonempty(const OpAttrs& a, const Shape& s, const std::vector<bool>& mask) {
  int64_t red = 1, kept = 1;
  for (size_t d = 0; d < s.size(); ++d)
    (mask[d] ? red : kept) *= s[d];
  BRAID_CHECK(red > 0 || kept == 0, kValue, a.op()->name, ": cannot reduce over an empty axis of an array of shape ",
              shape_str(s), " (", a.op()->name, " has no identity value)");
}

// ---- layout -------------------------------------------------------------------------------------------------

// Runs of reduced / kept axes of a row-major array, merged, with size-1 axes dropped (their mask is irrelevant).
struct Group {
  bool reduced;
  int64_t size;
};

std::vector<Group> axis_groups(const Shape& s, const std::vector<bool>& mask) {
  std::vector<Group> g;
  for (size_t d = 0; d < s.size(); ++d) {
    if (s[d] == 1) {
      continue;
    }
    if (!g.empty() && g.back().reduced == mask[d]) {
      g.back().size *= s[d];
    } else {
      g.push_back({mask[d], s[d]});
    }
  }
  return g;
}

// The array seen as (outer, red, inner): valid when the groups are at most kept, reduced, kept.
struct ReducePlan {
  int64_t outer = 1, red = 1, inner = 1;
};

ReducePlan plan_groups(const std::vector<Group>& g) {
  ReducePlan p;
  size_t k = 0;
  if (k < g.size() && !g[k].reduced) {
    p.outer = g[k++].size;
  }
  if (k < g.size() && g[k].reduced) {
    p.red = g[k++].size;
  }
  if (k < g.size() && !g[k].reduced) {
    p.inner = g[k++].size;
  }
  return p;
}

int count_reduced(const std::vector<Group>& g) {
  int n = 0;
  for (const Group& x : g) {
    n += x.reduced;
  }
  return n;
}

// A contiguous buffer for the output: out itself, or a temporary when out= named a strided view.
Tensor output_buffer(const Tensor& out) {
  return out.is_contiguous() ? out : Tensor::empty(out.shape(), out.dtype(), out.ctx());
}

void finish_output(const Tensor& buf, const Tensor& out) {
  if (buf.impl() != out.impl())
    copy_into(buf, out);
}

// ---- kernels ------------------------------------------------------------------------------------------------

constexpr int64_t kRowBlock = 16384;   // elements per partial result of a long row
constexpr int64_t kColBlock = 2048;    // most columns per accumulator buffer in the (red, inner) layout
constexpr int64_t kMinTasks = 16;      // below this many column tasks, rows are split as well
constexpr int64_t kTaskElems = 32768;  // target elements per task when splitting rows

// Folds n contiguous elements with independent lane accumulators, which the compiler keeps in vector
// registers (a single accumulator would serialise on the add latency and could not be vectorised).
template <class R, typename T>
typename R::A reduce_span(const T* x, int64_t n) {
  using A = typename R::A;
  constexpr int L = static_cast<int>(128 / sizeof(A));
  A lanes[L];
  for (int j = 0; j < L; ++j)
    lanes[j] = R::init();
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    for (int j = 0; j < L; ++j)
      lanes[j] = R::step(lanes[j], x[i + j]);
  }
  A r = R::init();
  for (; i < n; ++i)
    r = R::step(r, x[i]);
  for (int j = 0; j < L; ++j)
    r = R::merge(r, lanes[j]);
  return r;
}

// inner == 1: output o reduces row o of an (outer, red) matrix.
template <class R, typename T, typename TO>
void reduce_rows(const T* x, TO* y, int64_t outer, int64_t red, int64_t count) {
  using A = typename R::A;
  const int64_t nb = (red + kRowBlock - 1) / kRowBlock;
  if (nb <= 1) {
    parallel_for(outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(red, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o)
        y[o] = R::template finish<TO>(reduce_span<R>(x + o * red, red), count);
    });
    return;
  }
  std::unique_ptr<A[]> part(new A[outer * nb]);
  parallel_for(outer * nb, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / nb, start = (t % nb) * kRowBlock;
      part[t] = reduce_span<R>(x + o * red + start, std::min(kRowBlock, red - start));
    }
  });
  for (int64_t o = 0; o < outer; ++o) {
    A acc = R::init();
    for (int64_t k = 0; k < nb; ++k)
      acc = R::merge(acc, part[o * nb + k]);
    y[o] = R::template finish<TO>(acc, count);
  }
}

// inner > 1: output (o, i) reduces x[o, :, i]. Whole rows are folded into a column buffer, so the update is
// elementwise over contiguous memory. Tasks are (outer index, column block, row block); a column block spans
// the whole row when it fits the buffer, so each task streams through one contiguous range. Rows are split
// only when there are too few column tasks to keep the threads busy; the partial results are then merged in
// row-block order.
template <class R, typename T, typename TO>
void reduce_cols(const T* x, TO* y, int64_t outer, int64_t red, int64_t inner, int64_t count) {
  using A = typename R::A;
  const int64_t cb = std::min(inner, kColBlock);
  const int64_t ncb = (inner + cb - 1) / cb;
  const int64_t col_tasks = outer * ncb;
  int64_t nrb = 1;
  if (col_tasks < kMinTasks)
    nrb = std::min<int64_t>({64, red, std::max<int64_t>(1, red * cb / kTaskElems)});
  const int64_t rb = (red + nrb - 1) / nrb;
  nrb = (red + rb - 1) / rb;

  // Folds rows [r0, r1) of column block c of slab o into acc; returns the block's width.
  auto fold = [&](int64_t o, int64_t c, int64_t r0, int64_t r1, A* acc) {
    const int64_t c0 = c * cb, cw = std::min(cb, inner - c0);
    for (int64_t j = 0; j < cw; ++j)
      acc[j] = R::init();
    int64_t r = r0;
    // Four rows per pass over acc: the same order of operations, a quarter of the accumulator traffic.
    for (; r + 4 <= r1; r += 4) {
      const T* q0 = x + (o * red + r) * inner + c0;
      const T* q1 = q0 + inner;
      const T* q2 = q1 + inner;
      const T* q3 = q2 + inner;
      for (int64_t j = 0; j < cw; ++j) {
        acc[j] = R::step(R::step(R::step(R::step(acc[j], q0[j]), q1[j]), q2[j]), q3[j]);
      }
    }
    for (; r < r1; ++r) {
      const T* row = x + (o * red + r) * inner + c0;
      for (int64_t j = 0; j < cw; ++j)
        acc[j] = R::step(acc[j], row[j]);
    }
    return cw;
  };

  if (nrb == 1) {
    parallel_for(col_tasks, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(red * cb, 1)),
                 [&](int64_t b, int64_t e) {
                   std::unique_ptr<A[]> acc(new A[cb]);
                   for (int64_t t = b; t < e; ++t) {
                     const int64_t o = t / ncb, c = t % ncb;
                     const int64_t cw = fold(o, c, 0, red, acc.get());
                     TO* dst = y + o * inner + c * cb;
                     for (int64_t j = 0; j < cw; ++j)
                       dst[j] = R::template finish<TO>(acc[j], count);
                   }
                 });
    return;
  }
  std::unique_ptr<A[]> part(new A[col_tasks * nrb * cb]);
  parallel_for(col_tasks * nrb, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t task = t / nrb, k = t % nrb;
      fold(task / ncb, task % ncb, k * rb, std::min(red, (k + 1) * rb), part.get() + t * cb);
    }
  });
  parallel_for(col_tasks, 1, [&](int64_t b, int64_t e) {
    for (int64_t task = b; task < e; ++task) {
      const int64_t o = task / ncb, c0 = (task % ncb) * cb, cw = std::min(cb, inner - c0);
      const A* p = part.get() + task * nrb * cb;
      TO* dst = y + o * inner + c0;
      for (int64_t j = 0; j < cw; ++j) {
        A acc = p[j];
        for (int64_t k = 1; k < nrb; ++k)
          acc = R::merge(acc, p[k * cb + j]);
        dst[j] = R::template finish<TO>(acc, count);
      }
    }
  });
}

// Reducers over partial results (accumulators) of R, for multi-stage reductions: kFinal applies R's finish,
// otherwise accumulators pass through. RawR folds input elements but leaves accumulators unfinished.
template <class R, bool kFinal>
struct MergeR {
  using A = typename R::A;
  static A init() { return R::init(); }
  static A step(A a, A x) { return R::merge(a, x); }
  static A merge(A a, A b) { return R::merge(a, b); }
  template <typename TO>
  static TO finish(A a, int64_t n) {
    if constexpr (kFinal) {
      return R::template finish<TO>(a, n);
    } else {
      return a;
    }
  }
};

template <class R>
struct RawR : R {
  template <typename TO>
  static TO finish(typename R::A a, int64_t) {
    return a;
  }
};

template <class R, typename TI, typename TO>
void reduce_stage(const TI* x, TO* y, int64_t outer, int64_t red, int64_t inner, int64_t count) {
  if (inner == 1) {
    reduce_rows<R, TI, TO>(x, y, outer, red, count);
  } else {
    reduce_cols<R, TI, TO>(x, y, outer, red, inner, count);
  }
}

// Reduced axes that are not one block (axes 0 and 2 of 3, as in per-channel statistics of NCHW data) are
// reduced one block at a time, last block first, into accumulator arrays; each stage reads contiguous memory
// and shrinks the data, and only the last one applies finish().
template <class R, typename T, typename TO>
void reduce_stages(const T* x, TO* y, std::vector<Group> groups, int64_t count) {
  using A = typename R::A;
  std::unique_ptr<A[]> cur;  // the partial results of the stages so far
  while (count_reduced(groups) > 1) {
    size_t g = groups.size() - 1;
    while (!groups[g].reduced) {
      --g;
    }
    int64_t outer = 1;
    for (size_t i = 0; i < g; ++i) {
      outer *= groups[i].size;
    }
    const int64_t red = groups[g].size, inner = g + 1 < groups.size() ? groups[g + 1].size : 1;
    std::unique_ptr<A[]> next(new A[outer * inner]);
    if (!cur) {
      reduce_stage<RawR<R>, T, A>(x, next.get(), outer, red, inner, 0);
    } else {
      reduce_stage<MergeR<R, false>, A, A>(cur.get(), next.get(), outer, red, inner, 0);
    }
    cur = std::move(next);
    // The kept runs on either side of the reduced block are now adjacent in memory: one run.
    groups.erase(groups.begin() + g);
    if (g > 0 && g < groups.size()) {
      groups[g - 1].size *= groups[g].size;
      groups.erase(groups.begin() + g);
    }
  }
  const ReducePlan p = plan_groups(groups);
  reduce_stage<MergeR<R, true>, A, TO>(cur.get(), y, p.outer, p.red, p.inner, count);
}

template <class R, typename T, typename TO>
void reduce_kernel(const Tensor& in, const Tensor& out, const std::vector<bool>& mask) {
  if (out.numel() == 0) {
    return;
  }
  const std::vector<Group> groups = axis_groups(in.shape(), mask);
  int64_t count = 1;
  for (const Group& g : groups) {
    count *= g.reduced ? g.size : 1;
  }
  Tensor buf = output_buffer(out);
  TO* y = buf.data<TO>();
  if (count == 0) {  // sum of nothing: the identity (mean: 0 / 0, NaN like numpy)
    const TO v = R::template finish<TO>(R::init(), 0);
    for (int64_t i = 0, n = out.numel(); i < n; ++i) {
      y[i] = v;
    }
  } else if (count_reduced(groups) <= 1) {
    const ReducePlan p = plan_groups(groups);
    reduce_stage<R, T, TO>(contiguous(in).data<T>(), y, p.outer, p.red, p.inner, count);
  } else if constexpr (std::is_same<T, int32_t>::value) {
    fail(ErrorKind::kRuntime, "internal error: multi-stage reduction of int32");  // run_reduce widens these
  } else {
    reduce_stages<R, T, TO>(contiguous(in).data<T>(), y, groups, count);
  }
  finish_output(buf, out);
}

// Kernels are compiled for a few element types only, which keeps the reducer x layout x stage instantiations
// affordable: 16-bit floats are widened to float32 (they accumulate in double from there), integers and bool
// to int64, except int32 in single-block reductions (common, and a conversion would triple the traffic). The
// results are the same: integer sums and products wrap modulo 2^64 and are truncated to the output type
// afterwards, as numpy's are, and max/min/argmax/argmin only compare.
DType kernel_dtype(DType t, bool one_block) {
  if (t == DType::kFloat32 || t == DType::kFloat64 || (t == DType::kInt32 && one_block)) {
    return t;
  }
  return dtype_is_float(t) ? DType::kFloat32 : DType::kInt64;
}

template <typename Fn>
void dispatch_kernel_dtype(DType t, Fn&& fn) {
  switch (t) {
    case DType::kFloat32:
      return fn(type_tag<float>{});
    case DType::kFloat64:
      return fn(type_tag<double>{});
    case DType::kInt64:
      return fn(type_tag<int64_t>{});
    case DType::kInt32:
      return fn(type_tag<int32_t>{});
    default:
      fail(ErrorKind::kRuntime, "internal error: reduction kernel for ", dtype_name(t));
  }
}

// The kernel's output element type for each kind, mirroring reduce_out_dtype on the kernel dtypes.
template <Kind K, typename T>
using out_t =
    std::conditional_t<(K == Kind::kMean || K == Kind::kNorm1 || K == Kind::kNorm2) && !kIsFloat<T>, float, T>;

template <Kind K, template <typename> class R>
void run_typed(const Tensor& in, const Tensor& out, const std::vector<bool>& mask) {
  dispatch_kernel_dtype(in.dtype(), [&](auto ti) {
    using T = typename decltype(ti)::type;
    if constexpr ((K == Kind::kNanSum || K == Kind::kNanProd) && !kIsFloat<T>) {
      fail(ErrorKind::kRuntime, "internal error: NaN-ignoring reduction of integers");  // run_reduce maps these
    } else {
      reduce_kernel<R<T>, T, out_t<K, T>>(in, out, mask);
    }
  });
}

template <typename T>
using MaxR = ExtremeR<T, true>;
template <typename T>
using MinR = ExtremeR<T, false>;
template <typename T>
using Norm1R = NormR<T, 1>;
template <typename T>
using Norm2R = NormR<T, 2>;

void run_kind(Kind k, const Tensor& in, const Tensor& out, const std::vector<bool>& mask) {
  switch (k) {
    case Kind::kSum:
      return run_typed<Kind::kSum, SumR>(in, out, mask);
    case Kind::kMean:
      return run_typed<Kind::kMean, MeanR>(in, out, mask);
    case Kind::kProd:
      return run_typed<Kind::kProd, ProdR>(in, out, mask);
    case Kind::kMax:
      return run_typed<Kind::kMax, MaxR>(in, out, mask);
    case Kind::kMin:
      return run_typed<Kind::kMin, MinR>(in, out, mask);
    case Kind::kNanSum:
      return run_typed<Kind::kNanSum, NanSumR>(in, out, mask);
    case Kind::kNanProd:
      return run_typed<Kind::kNanProd, NanProdR>(in, out, mask);
    case Kind::kNorm1:
      return run_typed<Kind::kNorm1, Norm1R>(in, out, mask);
    case Kind::kNorm2:
      return run_typed<Kind::kNorm2, Norm2R>(in, out, mask);
  }
}

// Converts the input to its kernel dtype and the result to the op's output dtype around run_kind.
void run_reduce(Kind k, const Tensor& in, const Tensor& out, const std::vector<bool>& mask) {
  const DType kt = kernel_dtype(in.dtype(), count_reduced(axis_groups(in.shape(), mask)) <= 1);
  Tensor x = in.dtype() == kt ? in : contiguous_as(in, kt);
  const DType ot = reduce_out_dtype(k, kt);
  Tensor o = out.dtype() == ot ? out : Tensor::empty(out.shape(), ot, out.ctx());
  if (!dtype_is_float(kt) && (k == Kind::kNanSum || k == Kind::kNanProd)) {
    k = k == Kind::kNanSum ? Kind::kSum : Kind::kProd;  // integers have no NaN
  }
  run_kind(k, x, o, mask);
  if (o.impl() != out.impl()) {
    copy_into(o, out);
  }
}

// argmax/argmin: index of the first extreme element (the first NaN, if any, like numpy), stored as float32
// as MXNet 1.x does. Same (outer, red, inner) layout. A contiguous row is searched in two vectorised passes
// (its extreme value, then where it first occurs); columns keep a running best per column.
template <typename T, bool kMax>
int64_t arg_of_row(const T* row, int64_t n) {
  using C = compute_t<T>;
  const C m = reduce_span<ExtremeR<T, kMax>>(row, n);
  const bool nan = is_nan(m);
  // Whole chunks are tested without an early exit (which the compiler can vectorise), then the chunk that
  // holds the match is searched element by element.
  constexpr int64_t kChunk = 64;
  int64_t start = 0;
  for (; start + kChunk <= n; start += kChunk) {
    int hit = 0;
    for (int64_t j = 0; j < kChunk; ++j) {
      const C v = static_cast<C>(row[start + j]);
      hit |= nan ? is_nan(v) : v == m;
    }
    if (hit)
      break;
  }
  for (int64_t i = start; i < n; ++i) {
    const C v = static_cast<C>(row[i]);
    if (nan ? is_nan(v) : v == m) {
      return i;
    }
  }
  return 0;
}

template <typename T, bool kMax>
void arg_kernel(const Tensor& in, const Tensor& out, const std::vector<bool>& mask) {
  using C = compute_t<T>;
  if (out.numel() == 0)
    return;
  const ReducePlan p = plan_groups(axis_groups(in.shape(), mask));  // one axis or all: a single block
  Tensor x = contiguous(in);
  Tensor buf = output_buffer(out);
  const T* xp = x.data<T>();
  float* y = buf.data<float>();
  const int64_t red = p.red, inner = p.inner;
  if (inner == 1) {
    parallel_for(p.outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(red, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o)
        y[o] = static_cast<float>(arg_of_row<T, kMax>(xp + o * red, red));
    });
    finish_output(buf, out);
    return;
  }
  const int64_t cb = std::min(inner, kColBlock);
  const int64_t ncb = (inner + cb - 1) / cb;
  parallel_for(p.outer * ncb, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(red * cb, 1)),
               [&](int64_t b, int64_t e) {
                 std::unique_ptr<C[]> best(new C[cb]);
                 std::unique_ptr<int64_t[]> idx(new int64_t[cb]);
                 for (int64_t t = b; t < e; ++t) {
                   const int64_t o = t / ncb, c0 = (t % ncb) * cb, cw = std::min(cb, inner - c0);
                   const T* base = xp + o * red * inner + c0;
                   for (int64_t j = 0; j < cw; ++j) {
                     best[j] = static_cast<C>(base[j]);
                     idx[j] = 0;
                   }
                   for (int64_t r = 1; r < red; ++r) {
                     const T* row = base + r * inner;
                     for (int64_t j = 0; j < cw; ++j) {
                       const C v = static_cast<C>(row[j]);
                       const bool take = (kMax ? v > best[j] : v < best[j]) || (is_nan(v) && !is_nan(best[j]));
                       best[j] = take ? v : best[j];
                       idx[j] = take ? r : idx[j];
                     }
                   }
                   for (int64_t j = 0; j < cw; ++j)
                     y[o * inner + c0 + j] = static_cast<float>(idx[j]);
                 }
               });
  finish_output(buf, out);
}

// ---- registration -------------------------------------------------------------------------------------------

std::vector<bool> mask_from_attrs(const OpAttrs& a, int ndim) {
  const bool has_axis = !a.is_none("axis");
  const bool exclude = a.op()->attr_index("exclude") >= 0 && a.get_bool("exclude");
  return reduce_mask(a, ndim, has_axis ? &a.get_tuple("axis") : nullptr, exclude);
}

OpDef& add_reduce(Registry& r, const std::string& name, Kind kind, const std::string& doc) {
  const bool no_identity = kind == Kind::kMax || kind == Kind::kMin;
  return r.add(name)
      .describe(doc)
      .inputs({"data"})
      .attr_tuple_optional("axis", "axes to reduce (an int or a tuple; None or () means all axes)")
      .attr_bool("keepdims", false, "keep reduced axes as size-1 dimensions")
      .attr_bool("exclude", false, "reduce over every axis except those in axis")
      .set_infer([kind, no_identity](const OpAttrs& a, const Metas& in, Metas* out) {
        std::vector<bool> mask = mask_from_attrs(a, static_cast<int>(in[0].shape.size()));
        if (no_identity)
          check_nonempty(a, in[0].shape, mask);
        (*out)[0].shape = reduced_shape(in[0].shape, mask, a.get_bool("keepdims"));
        (*out)[0].dtype = reduce_out_dtype(kind, in[0].dtype);
      })
      .set_cpu([kind](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        run_reduce(kind, in[0], out[0], mask_from_attrs(a, in[0].ndim()));
      });
}

void add_norm(Registry& r) {
  auto kind_of = [](const OpAttrs& a) {
    const int64_t ord = a.get_int("ord");
    BRAID_CHECK(ord == 1 || ord == 2, kValue, "norm: ord must be 1 or 2, got ", ord);
    return ord == 1 ? Kind::kNorm1 : Kind::kNorm2;
  };
  r.add("norm")
      .describe(
          "Vector norm over axes: ord=1 sums absolute values, ord=2 is the Euclidean (Frobenius) norm. "
          "Integer and bool inputs give float32.")
      .inputs({"data"})
      .attr_int("ord", 2, "order of the norm: 1 or 2")
      .attr_tuple_optional("axis", "axes to reduce (an int or a tuple; None or () means all axes)")
      .attr_bool("keepdims", false, "keep reduced axes as size-1 dimensions")
      .set_infer([kind_of](const OpAttrs& a, const Metas& in, Metas* out) {
        const Kind kind = kind_of(a);
        std::vector<bool> mask = mask_from_attrs(a, static_cast<int>(in[0].shape.size()));
        (*out)[0].shape = reduced_shape(in[0].shape, mask, a.get_bool("keepdims"));
        (*out)[0].dtype = reduce_out_dtype(kind, in[0].dtype);
      })
      .set_cpu([kind_of](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        run_reduce(kind_of(a), in[0], out[0], mask_from_attrs(a, in[0].ndim()));
      });
}

void add_arg_reduce(Registry& r, const std::string& name, bool is_max) {
  auto mask_of = [](const OpAttrs& a, int ndim) {
    if (a.is_none("axis"))
      return std::vector<bool>(ndim, true);
    std::vector<bool> mask(ndim, false);
    mask[normalize_axis(a.get_int("axis"), ndim, a.op()->name.c_str(), "axis")] = true;
    return mask;
  };
  r.add(name)
      .describe(std::string("Index of the ") + (is_max ? "maximum" : "minimum") +
                " along axis (of the flattened array when axis is None), as float32 like MXNet 1.x; the first "
                "occurrence wins and a NaN counts as the extreme.")
      .inputs({"data"})
      .attr_int_optional("axis", "axis to search (None: the flattened array)")
      .attr_bool("keepdims", false, "keep the reduced axis as a size-1 dimension")
      .set_infer([mask_of](const OpAttrs& a, const Metas& in, Metas* out) {
        const Shape& s = in[0].shape;
        std::vector<bool> mask = mask_of(a, static_cast<int>(s.size()));
        check_nonempty(a, s, mask);
        (*out)[0].shape = reduced_shape(s, mask, a.get_bool("keepdims"));
        (*out)[0].dtype = DType::kFloat32;
      })
      .set_cpu([mask_of, is_max](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        std::vector<bool> mask = mask_of(a, in[0].ndim());
        const DType kt = kernel_dtype(in[0].dtype(), true);
        Tensor x = in[0].dtype() == kt ? in[0] : contiguous_as(in[0], kt);
        dispatch_kernel_dtype(kt, [&](auto tag) {
          using T = typename decltype(tag)::type;
          if (is_max) {
            arg_kernel<T, true>(x, out[0], mask);
          } else {
            arg_kernel<T, false>(x, out[0], mask);
          }
        });
      });
}

// The reduced result's shape with keepdims, so a gradient can be broadcast back over the reduced axes.
Shape kept_shape(const OpAttrs& a, const Tensor& x) {
  OpAttrs k = a;
  k.values()[a.op()->attr_index("keepdims")].i = 1;
  std::vector<TensorMeta> out(1);
  a.op()->infer(k, {TensorMeta{x.shape(), x.dtype()}}, &out);
  return out[0].shape;
}

Tensor spread(const Tensor& dy, const Shape& kept, const Shape& to) {
  return call("broadcast_to", {g::reshape(dy, kept)}, {{"shape", std::vector<int64_t>(to.begin(), to.end())}});
}

void register_reduce_grads(Registry& r) {
  using namespace g;
  r.def("sum").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    return Tensors{spread(og[0], kept_shape(a, in[0]), in[0].shape())};
  });
  r.def("nansum").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    Tensor ok = call("logical_not", {call("isnan", {in[0].detached()})});
    return Tensors{mul(spread(og[0], kept_shape(a, in[0]), in[0].shape()), ok)};
  });
  r.def("mean").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
    Shape kept = kept_shape(a, in[0]);
    const double n = static_cast<double>(std::max<int64_t>(in[0].numel(), 1)) /
                     static_cast<double>(std::max<int64_t>(shape_numel(kept), 1));
    return Tensors{scale(spread(og[0], kept, in[0].shape()), 1.0 / n)};
  });
  // max/min: the gradient goes to every element equal to the extreme (ties share it, as in MXNet).
  for (const char* name : {"max", "min"}) {
    r.def(name).set_grad([](const OpAttrs& a, const Tensors& in, const Tensors& out, const Tensors& og) {
      Shape kept = kept_shape(a, in[0]);
      Tensor hit = mask("broadcast_equal", in[0], spread(out[0].detached(), kept, in[0].shape()));
      return Tensors{mul(spread(og[0], kept, in[0].shape()), hit)};
    });
  }
  // norm: ord 2 gives x / ||x|| (0 where the norm is 0), ord 1 gives sign(x).
  r.def("norm").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors& out, const Tensors& og) {
    Shape kept = kept_shape(a, in[0]);
    Tensor dy = spread(og[0], kept, in[0].shape());
    if (a.get_int("ord") == 1)
      return Tensors{mul(dy, call("sign", {in[0]}))};
    Tensor n = spread(out[0], kept, in[0].shape());
    Tensor safe = call("where", {mask("broadcast_equal", n, zeros_like(n)), plus(zeros_like(n), 1.0), n});
    return Tensors{mul(dy, div(in[0], safe))};
  });
  r.def("prod").set_grad([](const OpAttrs& a, const Tensors& in, const Tensors& out, const Tensors& og) {
    Shape kept = kept_shape(a, in[0]);  // d prod / d x_i = prod / x_i (inputs without zeros)
    return Tensors{mul(spread(og[0], kept, in[0].shape()), div(spread(out[0], kept, in[0].shape()), in[0]))};
  });
  for (const char* name : {"argmax", "argmin"}) {
    r.def(name).set_grad(
        [](const OpAttrs&, const Tensors& in, const Tensors&, const Tensors&) { return Tensors(in.size()); });
  }
}

}  // namespace

void register_reduce_ops(Registry& r) {
  add_reduce(r, "sum", Kind::kSum, "Sum over axes. bool sums to int64; integers keep their dtype (wrapping).")
      .alias("sum_axis");
  add_reduce(r, "mean", Kind::kMean, "Mean over axes. Integer and bool inputs give float32.");
  add_reduce(r, "prod", Kind::kProd, "Product over axes. bool gives int64; integers keep their dtype (wrapping).");
  add_reduce(r, "max", Kind::kMax, "Maximum over axes (NaN if any element is NaN). Empty reductions are errors.")
      .alias("max_axis");
  add_reduce(r, "min", Kind::kMin, "Minimum over axes (NaN if any element is NaN). Empty reductions are errors.")
      .alias("min_axis");
  add_reduce(r, "nansum", Kind::kNanSum, "Sum over axes, treating NaN as zero.");
  add_reduce(r, "nanprod", Kind::kNanProd, "Product over axes, treating NaN as one.");
  add_norm(r);
  add_arg_reduce(r, "argmax", true);
  add_arg_reduce(r, "argmin", false);
  register_reduce_grads(r);
}

}  // namespace braid
