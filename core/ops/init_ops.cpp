// Creation ops: arrays filled with constants, ranges and identity matrices. They have no inputs, so the
// caller passes the context they run on.
#include <cmath>

#include "ops/kernel_util.h"

namespace braid {

namespace {

template <typename F>
void fill_with(const Tensor& out, F value_at) {
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = out.data<T>();
    parallel_for(out.numel(), kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        p[i] = static_cast<T>(value_at(i));
    });
  });
}

void check_shape(const OpAttrs& a, const Shape& s) {
  for (int64_t d : s) {
    BRAID_CHECK(d >= 0, kValue, a.op()->name, ": shape ", shape_str(s), " has a negative dimension");
  }
}

void infer_from_shape_attr(const OpAttrs& a, const std::vector<TensorMeta>&, std::vector<TensorMeta>* out) {
  check_shape(a, a.get_tuple("shape"));
  (*out)[0].shape = a.get_tuple("shape");
  (*out)[0].dtype = a.get_dtype("dtype");
}

void infer_like(const OpAttrs& a, const std::vector<TensorMeta>& in, std::vector<TensorMeta>* out) {
  (*out)[0].shape = in[0].shape;
  (*out)[0].dtype = a.is_none("dtype") ? in[0].dtype : a.get_dtype("dtype");
}

// Attribute order is MXNet's signature order: nd.full(shape, value, ctx, dtype).
OpDef& constant_op(Registry& r, const std::string& name, const std::string& doc, bool with_value = false) {
  OpDef& d = r.add(name).describe(doc).inputs({}).attr_tuple("shape", {}, "output shape");
  if (with_value)
    d.attr_float("value", 0.0, "fill value");
  return d.attr_dtype("dtype", DType::kFloat32, "output dtype").set_infer(infer_from_shape_attr);
}

}  // namespace

void register_init_ops(Registry& r) {
  constant_op(r, "zeros", "An array of zeros.")
      .alias("_zeros")
      .set_cpu([](const OpContext&, const OpAttrs&, const std::vector<Tensor>&, const std::vector<Tensor>& out) {
        fill_with(out[0], [](int64_t) { return 0; });
      });
  constant_op(r, "ones", "An array of ones.")
      .alias("_ones")
      .set_cpu([](const OpContext&, const OpAttrs&, const std::vector<Tensor>&, const std::vector<Tensor>& out) {
        fill_with(out[0], [](int64_t) { return 1; });
      });
  constant_op(r, "full", "An array filled with value.", true)
      .alias("_full")
      .set_cpu([](const OpContext&, const OpAttrs& a, const std::vector<Tensor>&, const std::vector<Tensor>& out) {
        const double v = a.get_float("value");
        fill_with(out[0], [v](int64_t) { return v; });
      });
  // empty: memory from the pool, left uninitialised (its kernel does nothing on purpose).
  constant_op(r, "empty", "An uninitialised array.")
      .alias("_empty")
      .set_cpu([](const OpContext&, const OpAttrs&, const std::vector<Tensor>&, const std::vector<Tensor>&) {});

  for (const char* name : {"zeros_like", "ones_like"}) {
    const bool one = name[0] == 'o';
    r.add(name)
        .describe(one ? "Ones with the shape of data." : "Zeros with the shape of data.")
        .inputs({"data"})
        .attr_dtype_optional("dtype", "output dtype (default: data's)")
        .set_infer(infer_like)
        .set_cpu([one](const OpContext&, const OpAttrs&, const std::vector<Tensor>&, const std::vector<Tensor>& out) {
          fill_with(out[0], [one](int64_t) { return one ? 1 : 0; });
        });
  }
  r.add("full_like")
      .describe("An array with the shape of data filled with value.")
      .inputs({"data"})
      .attr_float("value", 0.0, "fill value")
      .attr_dtype_optional("dtype", "output dtype (default: data's)")
      .set_infer(infer_like)
      .set_cpu([](const OpContext&, const OpAttrs& a, const std::vector<Tensor>&, const std::vector<Tensor>& out) {
        const double v = a.get_float("value");
        fill_with(out[0], [v](int64_t) { return v; });
      });

  r.add("arange")
      .alias("_arange")
      .describe(
          "Evenly spaced values in [start, stop) with step; stop=None means [0, start). Each value is "
          "repeated `repeat` times.")
      .inputs({})
      .attr_float("start", 0.0, "first value (or the end when stop is None)")
      .attr_float_optional("stop", "end, exclusive (None: start is the end and 0 the start)")
      .attr_float("step", 1.0, "spacing")
      .attr_int("repeat", 1, "repetitions of each value")
      .attr_dtype("dtype", DType::kFloat32, "output dtype")
      .set_infer([](const OpAttrs& a, const std::vector<TensorMeta>&, std::vector<TensorMeta>* out) {
        double start = a.get_float("start"), step = a.get_float("step"), stop;
        if (a.is_none("stop")) {
          stop = start;
          start = 0;
        } else {
          stop = a.get_float("stop");
        }
        BRAID_CHECK(step != 0, kValue, "arange: step must not be 0");
        BRAID_CHECK(a.get_int("repeat") >= 1, kValue, "arange: repeat must be >= 1, got ", a.get_int("repeat"));
        int64_t n = static_cast<int64_t>(std::ceil((stop - start) / step));
        if (n < 0)
          n = 0;
        (*out)[0].shape = {n * a.get_int("repeat")};
        (*out)[0].dtype = a.get_dtype("dtype");
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const std::vector<Tensor>&, const std::vector<Tensor>& out) {
        const double start = a.is_none("stop") ? 0.0 : a.get_float("start");
        const double step = a.get_float("step");
        const int64_t rep = a.get_int("repeat");
        fill_with(out[0], [=](int64_t i) { return start + static_cast<double>(i / rep) * step; });
      });

  r.add("linspace")
      .alias("_linspace")
      .describe("num evenly spaced values from start to stop (inclusive when endpoint).")
      .inputs({})
      .attr_float_required("start", "first value")
      .attr_float_required("stop", "last value")
      .attr_int_required("num", "number of values")
      .attr_bool("endpoint", true, "include stop")
      .attr_dtype("dtype", DType::kFloat32, "output dtype")
      .set_infer([](const OpAttrs& a, const std::vector<TensorMeta>&, std::vector<TensorMeta>* out) {
        BRAID_CHECK(a.get_int("num") >= 0, kValue, "linspace: num must be >= 0, got ", a.get_int("num"));
        (*out)[0].shape = {a.get_int("num")};
        (*out)[0].dtype = a.get_dtype("dtype");
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const std::vector<Tensor>&, const std::vector<Tensor>& out) {
        const double start = a.get_float("start"), stop = a.get_float("stop");
        const int64_t num = a.get_int("num");
        const int64_t div = a.get_bool("endpoint") ? num - 1 : num;
        const double step = div > 0 ? (stop - start) / static_cast<double>(div) : 0.0;
        fill_with(out[0], [=](int64_t i) {
          return (a.get_bool("endpoint") && i == num - 1 && num > 1) ? stop : start + static_cast<double>(i) * step;
        });
      });

  r.add("eye")
      .alias("_eye")
      .describe("A 2-D array with ones on the k-th diagonal.")
      .inputs({})
      .attr_int_required("N", "rows")
      .attr_int("M", 0, "columns (0: same as N)")
      .attr_int("k", 0, "diagonal offset: 0 main, > 0 above, < 0 below")
      .attr_dtype("dtype", DType::kFloat32, "output dtype")
      .set_infer([](const OpAttrs& a, const std::vector<TensorMeta>&, std::vector<TensorMeta>* out) {
        int64_t n = a.get_int("N"), m = a.get_int("M");
        BRAID_CHECK(n >= 0 && m >= 0, kValue, "eye: N and M must be >= 0, got N=", n, ", M=", m);
        (*out)[0].shape = {n, m == 0 ? n : m};
        (*out)[0].dtype = a.get_dtype("dtype");
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const std::vector<Tensor>&, const std::vector<Tensor>& out) {
        const int64_t cols = out[0].dim(1), k = a.get_int("k");
        fill_with(out[0], [=](int64_t i) { return (i % cols) - (i / cols) == k ? 1 : 0; });
      });
}

}  // namespace braid
