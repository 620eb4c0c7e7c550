// Helpers of optimizers that look at many parameters at once (MXNet 1.x names): multi_sum_sq for global-norm
// gradient clipping, multi_all_finite for mixed-precision loss scaling, and the two phases of LAMB, whose
// trust ratio needs the norms of the whole weight and update between them.
#include <cmath>

#include "ops/nn/optimizer_util.h"

namespace braid {

namespace {

using namespace opt;

// Elements per block of a parallel sum: a thread-launch's worth of work, and fixed so the result does not
// depend on the thread count.
constexpr int64_t kSumBlock = 32768;

// Sum of squares of one array, accumulated in double (float32 would lose digits over millions of elements).
double sum_sq(const Tensor& t) {
  const int64_t n = t.numel();
  if (n == 0)
    return 0.0;
  Tensor c = contiguous(t);
  const int64_t nblocks = (n + kSumBlock - 1) / kSumBlock;
  std::vector<double> part(nblocks, 0.0);
  dispatch_float(c.dtype(), "multi_sum_sq", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = c.data<T>();
    parallel_for(nblocks, 1, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) {
        const int64_t lo = k * kSumBlock, hi = std::min(n, lo + kSumBlock);
        double s = 0;
        for (int64_t i = lo; i < hi; ++i) {
          const double v = static_cast<double>(static_cast<compute_t<T>>(p[i]));
          s += v * v;
        }
        part[k] = s;
      }
    });
  });
  double s = 0;
  for (double v : part)
    s += v;
  return s;
}

bool all_finite(const Tensor& t) {
  if (t.numel() == 0)
    return true;
  Tensor c = contiguous(t);
  const int64_t n = c.numel();
  bool ok = true;
  dispatch_float(c.dtype(), "multi_all_finite", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = c.data<T>();
    // x - x is 0 for finite x and NaN for inf or NaN; summing keeps the loop branch-free and vectorisable.
    float acc = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float v = static_cast<float>(static_cast<compute_t<T>>(p[i]));
      acc += v - v;
    }
    ok = acc == 0;
  });
  return ok;
}

// num_arrays, when given, must match the number of inputs (MXNet requires it; here it is only a check).
void check_num_arrays(const OpAttrs& a, size_t n) {
  if (a.is_none("num_arrays"))
    return;
  BRAID_CHECK(a.get_int("num_arrays") == static_cast<int64_t>(n), kValue, a.op()->name, ": num_arrays is ",
              a.get_int("num_arrays"), " but ", n, " array(s) were given");
}

void check_float_inputs(const OpAttrs& a, const Metas& in) {
  for (size_t i = 0; i < in.size(); ++i) {
    BRAID_CHECK(dtype_is_float(in[i].dtype), kType, a.op()->name, ": input ", i,
                " must be a floating-point array, got ", dtype_name(in[i].dtype));
  }
}

void add_multi_sum_sq(Registry& r) {
  r.add("multi_sum_sq")
      .describe(
          "Sum of squares of each input array, as one float32 array of shape (num_arrays,) "
          "(for clipping by the global norm: sqrt of its sum).")
      .variadic_inputs("arrays")
      .attr_int_optional("num_arrays", "number of input arrays (checked when given)")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_num_arrays(a, in.size());
        check_float_inputs(a, in);
        (*out)[0].shape = {static_cast<int64_t>(in.size())};
        (*out)[0].dtype = DType::kFloat32;
      })
      .set_cpu([](const OpContext&, const OpAttrs&, const Tensors& in, const Tensors& out) {
        float* o = out[0].data<float>();
        const int64_t st = out[0].strides()[0];
        for (size_t i = 0; i < in.size(); ++i)
          o[static_cast<int64_t>(i) * st] = static_cast<float>(sum_sq(in[i]));
      });
}

void add_multi_all_finite(Registry& r) {
  r.add("multi_all_finite")
      .describe(
          "1 (float32, shape (1,)) when every element of every input is finite, else 0. With "
          "init_output=False the output is only ever set to 0, so it accumulates across calls "
          "(pass out=).")
      .variadic_inputs("arrays")
      .attr_int_optional("num_arrays", "number of input arrays (checked when given)")
      .attr_bool("init_output", true, "set the output to 1 before checking")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_num_arrays(a, in.size());
        check_float_inputs(a, in);
        (*out)[0].shape = {1};
        (*out)[0].dtype = DType::kFloat32;
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        float* o = out[0].data<float>();
        if (a.get_bool("init_output"))
          *o = 1.0f;
        for (const Tensor& t : in) {
          if (!all_finite(t)) {
            *o = 0.0f;
            break;
          }
        }
      });
}

// LAMB phase 1: the Adam-style direction g (returned), updating mean and var in place.
template <typename C>
struct Lamb1 {
  static constexpr int kStates = 2;
  GradPrep<C> prep;
  C beta1, beta2, eps, wd, corr1, corr2;
  explicit Lamb1(const OpAttrs& a)
      : prep(a),
        beta1(C(a.get_float("beta1"))),
        beta2(C(a.get_float("beta2"))),
        eps(C(a.get_float("epsilon"))),
        wd(C(a.get_float("wd"))) {
    const int64_t t = a.get_int("t");  // >= 1, checked at inference
    const bool bc = a.get_bool("bias_correction");
    corr1 = bc ? C(1.0 / (1.0 - std::pow(a.get_float("beta1"), static_cast<double>(t)))) : C(1);
    corr2 = bc ? C(1.0 / (1.0 - std::pow(a.get_float("beta2"), static_cast<double>(t)))) : C(1);
  }
  BRAID_OPT_INLINE C operator()(C w, C g, C* s) const {
    const C gc = prep(g);
    s[0] = beta1 * s[0] + (C(1) - beta1) * gc;
    s[1] = beta2 * s[1] + (C(1) - beta2) * gc * gc;
    return (s[0] * corr1) / (std::sqrt(s[1] * corr2) + eps) + wd * w;
  }
};

void add_lamb(Registry& r) {
  r.add("lamb_update_phase1")
      .describe(
          "LAMB phase 1: g = clip(rescale_grad*grad); mean = beta1*mean + (1-beta1)*g; "
          "var = beta2*var + (1-beta2)*g^2; returns mean_hat / (sqrt(var_hat) + epsilon) + wd*weight, "
          "where the hats divide by 1 - beta^t when bias_correction. Updates mean and var in place.")
      .inputs({"weight", "grad", "mean", "var"})
      .attr_float("beta1", 0.9, "decay rate of the first moment")
      .attr_float("beta2", 0.999, "decay rate of the second moment")
      .attr_float("epsilon", 1e-6, "added to the root of the second moment for stability")
      .attr_int_required("t", "step count, from 1 (for the bias correction)")
      .attr_bool("bias_correction", true, "divide the moments by 1 - beta^t")
      .attr_float_required("wd", "weight decay added to the direction")
      .attr_float("rescale_grad", 1.0, "scales the gradient first: grad = rescale_grad * grad")
      .attr_float("clip_gradient", -1.0,
                  "clips the rescaled gradient to [-clip_gradient, clip_gradient]; <= 0 turns clipping off")
      .mutates({2, 3})
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        BRAID_CHECK(a.get_int("t") >= 1, kValue, "lamb_update_phase1: t (the step count) must be >= 1, got ",
                    a.get_int("t"));
        check_update_inputs(a, in, 4);
        (*out)[0] = in[0];
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        dispatch_float(in[0].dtype(), "lamb_update_phase1", [&](auto tag) {
          using T = typename decltype(tag)::type;
          using C = compute_t<T>;
          const Lamb1<C> alg(a);
          fused_loop<T, T, T, T, T>({out[0], in[0], in[1], in[2], in[3]},
                                    [alg](T& o, const T& w, const T& g, T& m, T& v) BRAID_OPT_INLINE {
                                      C s[2] = {C(m), C(v)};
                                      o = static_cast<T>(alg(C(w), C(g), s));
                                      m = static_cast<T>(s[0]);
                                      v = static_cast<T>(s[1]);
                                    });
        });
      });

  r.add("lamb_update_phase2")
      .describe(
          "LAMB phase 2: r1 = clip(r1, lower_bound, upper_bound) (each bound when >= 0); "
          "weight -= lr * (r1 / r2) * g, or lr * g when r1 or r2 is 0. r1 and r2 are the norms of "
          "weight and g, one-element arrays.")
      .inputs({"weight", "g", "r1", "r2"})
      .attr_float_required("lr", "learning rate")
      .attr_float("lower_bound", -1.0, "lower bound of r1 (used when >= 0)")
      .attr_float("upper_bound", -1.0, "upper bound of r1 (used when >= 0)")
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        check_update_inputs(a, {in[0], in[1]}, 2);
        for (int i = 2; i < 4; ++i) {
          BRAID_CHECK(shape_numel(in[i].shape) == 1, kValue, "lamb_update_phase2: input '", a.op()->input_names[i],
                      "' must hold one element (a norm), got shape ", shape_str(in[i].shape));
          BRAID_CHECK(dtype_is_float(in[i].dtype), kType, "lamb_update_phase2: input '", a.op()->input_names[i],
                      "' must be floating point, got ", dtype_name(in[i].dtype));
        }
        (*out)[0] = in[0];
      })
      .set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        auto scalar = [](const Tensor& t) {
          return dispatch_float(t.dtype(), "lamb_update_phase2", [&](auto tag) {
            using T = typename decltype(tag)::type;
            return static_cast<double>(static_cast<compute_t<T>>(*t.data<T>()));
          });
        };
        double r1 = scalar(in[2]);
        const double r2 = scalar(in[3]);
        const double lo = a.get_float("lower_bound"), hi = a.get_float("upper_bound");
        if (lo >= 0)
          r1 = std::max(r1, lo);
        if (hi >= 0)
          r1 = std::min(r1, hi);
        const double step = a.get_float("lr") * ((r1 == 0 || r2 == 0) ? 1.0 : r1 / r2);
        dispatch_float(in[0].dtype(), "lamb_update_phase2", [&](auto tag) {
          using T = typename decltype(tag)::type;
          using C = compute_t<T>;
          const C s = static_cast<C>(step);
          fused_loop<T, T, T>({out[0], in[0], in[1]}, [s](T& o, const T& w, const T& g)
                                                          BRAID_OPT_INLINE { o = static_cast<T>(C(w) - s * C(g)); });
        });
      });
}

}  // namespace

void register_optimizer_multi_ops(Registry& r) {
  add_multi_sum_sq(r);
  add_multi_all_finite(r);
  add_lamb(r);
}

}  // namespace braid
