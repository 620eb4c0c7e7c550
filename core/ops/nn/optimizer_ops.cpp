// Fused optimizer updates with MXNet 1.x names, inputs and formulas: sgd, sgd with momentum, Nesterov momentum,
// Adam, AdamW (decoupled weight decay), RMSProp and Adagrad, each also in a multi-precision form (mp_*) that
// updates a float32 master copy of a float16/bfloat16 weight. Each op is one elementwise pass: it returns the
// new weight (callers pass out=weight, as MXNet's Python optimizers do) and updates its state inputs in place.
//
// Each algorithm is written once, as a functor over compute values (w, g, states) returning the new weight;
// add_update() wraps it in the plain form (states in weight's dtype) or the mp_ form (float32 states).
#include <cmath>

#include "ops/nn/optimizer_util.h"

namespace braid {
namespace opt {

void check_update_inputs(const OpAttrs& a, const Metas& in, size_t first_f32) {
  const OpDef* op = a.op();
  const TensorMeta& w = in[0];
  BRAID_CHECK(dtype_is_float(w.dtype), kType, op->name, ": input 'weight' must be a floating-point array, got ",
              dtype_name(w.dtype));
  for (size_t i = 1; i < in.size(); ++i) {
    const std::string& name = op->input_names[i];
    BRAID_CHECK(in[i].shape == w.shape, kValue, op->name, ": input '", name, "' has shape ", shape_str(in[i].shape),
                ", expected the shape of 'weight' ", shape_str(w.shape));
    const DType want = i >= first_f32 ? DType::kFloat32 : w.dtype;
    BRAID_CHECK(in[i].dtype == want, kType, op->name, ": input '", name, "' has dtype ", dtype_name(in[i].dtype),
                ", expected ", dtype_name(want),
                i >= first_f32 ? " (multi-precision state)" : " (the dtype of 'weight')");
  }
}

InferFn update_infer(size_t first_f32) {
  return [first_f32](const OpAttrs& a, const Metas& in, Metas* out) {
    check_update_inputs(a, in, first_f32);
    (*out)[0] = in[0];
  };
}

}  // namespace opt

namespace {

using namespace opt;

// ---- The algorithms. s points at the states, read and written in compute type C. ----

template <typename C>
struct Sgd {  // w = (1 - lr*wd) * w - lr * g
  static constexpr int kStates = 0;
  GradPrep<C> prep;
  C lr, wd;
  explicit Sgd(const OpAttrs& a) : prep(a), lr(C(a.get_float("lr"))), wd(C(a.get_float("wd"))) {}
  BRAID_OPT_INLINE C operator()(C w, C g, C*) const { return (C(1) - lr * wd) * w - lr * prep(g); }
};

template <typename C>
struct SgdMom {  // mom = momentum*mom - lr*wd*w - lr*g; w += mom
  static constexpr int kStates = 1;
  GradPrep<C> prep;
  C lr, momentum, wd;
  explicit SgdMom(const OpAttrs& a)
      : prep(a), lr(C(a.get_float("lr"))), momentum(C(a.get_float("momentum"))), wd(C(a.get_float("wd"))) {}
  BRAID_OPT_INLINE C operator()(C w, C g, C* s) const {
    s[0] = momentum * s[0] - lr * wd * w - lr * prep(g);
    return w + s[0];
  }
};

template <typename C>
struct Nag {  // g' = g + wd*w; mom = momentum*mom + g'; w -= lr * (momentum*mom + g')
  static constexpr int kStates = 1;
  GradPrep<C> prep;
  C lr, momentum, wd;
  explicit Nag(const OpAttrs& a)
      : prep(a), lr(C(a.get_float("lr"))), momentum(C(a.get_float("momentum"))), wd(C(a.get_float("wd"))) {}
  BRAID_OPT_INLINE C operator()(C w, C g, C* s) const {
    const C gw = prep(g) + wd * w;
    s[0] = momentum * s[0] + gw;
    return w - lr * (momentum * s[0] + gw);
  }
};

// MXNet's adam_update adds wd*w before clipping; the step has no bias correction (the caller folds it into lr).
template <typename C>
struct Adam {
  static constexpr int kStates = 2;
  C rescale, clip, lr, beta1, beta2, eps, wd;
  explicit Adam(const OpAttrs& a)
      : rescale(C(a.get_float("rescale_grad"))),
        clip(clip_bound<C>(a.get_float("clip_gradient"))),
        lr(C(a.get_float("lr"))),
        beta1(C(a.get_float("beta1"))),
        beta2(C(a.get_float("beta2"))),
        eps(C(a.get_float("epsilon"))),
        wd(C(a.get_float("wd"))) {}
  BRAID_OPT_INLINE C operator()(C w, C g, C* s) const {
    const C gw = clamp(rescale * g + wd * w, clip);
    s[0] = beta1 * s[0] + (C(1) - beta1) * gw;
    s[1] = beta2 * s[1] + (C(1) - beta2) * gw * gw;
    return w - lr * s[0] / (std::sqrt(s[1]) + eps);
  }
};

// MXNet's contrib _adamw_update: the weight decay is decoupled from the moments, and eta scales the whole step.
template <typename C>
struct AdamW {
  static constexpr int kStates = 2;
  GradPrep<C> prep;
  C lr, beta1, beta2, eps, wd, eta;
  explicit AdamW(const OpAttrs& a)
      : prep(a),
        lr(C(a.get_float("lr"))),
        beta1(C(a.get_float("beta1"))),
        beta2(C(a.get_float("beta2"))),
        eps(C(a.get_float("epsilon"))),
        wd(C(a.get_float("wd"))),
        eta(C(a.get_float("eta"))) {}
  BRAID_OPT_INLINE C operator()(C w, C g, C* s) const {
    const C gc = prep(g);
    s[0] = beta1 * s[0] + (C(1) - beta1) * gc;
    s[1] = beta2 * s[1] + (C(1) - beta2) * gc * gc;
    return w - eta * (lr * s[0] / (std::sqrt(s[1]) + eps) + wd * w);
  }
};

// MXNet's (non-centred) rmsprop_update: wd*w joins the gradient before clipping, epsilon sits inside the root,
// and the new weight is clipped to [-clip_weights, clip_weights] when clip_weights > 0.
template <typename C>
struct RmsProp {
  static constexpr int kStates = 1;
  C rescale, clip, lr, rho, eps, wd, clip_w;
  explicit RmsProp(const OpAttrs& a)
      : rescale(C(a.get_float("rescale_grad"))),
        clip(clip_bound<C>(a.get_float("clip_gradient"))),
        lr(C(a.get_float("lr"))),
        rho(C(a.get_float("rho"))),
        eps(C(a.get_float("epsilon"))),
        wd(C(a.get_float("wd"))),
        clip_w(clip_bound<C>(a.get_float("clip_weights"))) {}
  BRAID_OPT_INLINE C operator()(C w, C g, C* s) const {
    const C gw = clamp(rescale * g + wd * w, clip);
    s[0] = (C(1) - rho) * gw * gw + rho * s[0];
    return clamp(w - lr * gw / std::sqrt(s[0] + eps), clip_w);
  }
};

// MXNet's _sparse_adagrad_update on dense arrays (epsilon outside the root), with the weight decay of MXNet's
// Python Adagrad (applied to the weight beside the normalised gradient, not accumulated in the history).
template <typename C>
struct Adagrad {
  static constexpr int kStates = 1;
  GradPrep<C> prep;
  C lr, eps, wd;
  explicit Adagrad(const OpAttrs& a)
      : prep(a), lr(C(a.get_float("lr"))), eps(C(a.get_float("epsilon"))), wd(C(a.get_float("wd"))) {}
  BRAID_OPT_INLINE C operator()(C w, C g, C* s) const {
    const C gc = prep(g);
    s[0] += gc * gc;
    return w - lr * (gc / (std::sqrt(s[0]) + eps) + wd * w);
  }
};

// ---- The two storage forms. ----

// Loads the states into st (compute type), runs alg and stores them back: states are references to elements.
template <typename C, typename Alg, typename... S>
BRAID_OPT_INLINE inline C step_states(const Alg& alg, C w, C g, S&... s) {
  C st[sizeof...(S) + 1];  // +1: an array may not be empty
  int k = 0;
  ((st[k++] = static_cast<C>(s)), ...);
  const C nw = alg(w, g, st);
  k = 0;
  ((s = static_cast<S>(st[k++])), ...);
  return nw;
}

template <size_t, typename T>
using Same = T;  // expands a type once per index of a pack

// Inputs (weight, grad, states...), all of weight's dtype T; computes in compute_t<T>.
template <template <typename> class Alg, typename T, size_t... K>
void run_plain(const OpAttrs& a, const Tensors& in, const Tensor& out, std::index_sequence<K...>) {
  using C = compute_t<T>;
  const Alg<C> alg(a);
  fused_loop<T, T, T, Same<K, T>...>({out, in[0], in[1], in[2 + K]...},
                                     [alg](T& o, const T& w, const T& g, auto&... s)
                                         BRAID_OPT_INLINE { o = static_cast<T>(step_states(alg, C(w), C(g), s...)); });
}

// Inputs (weight, grad, states..., weight32): the float32 master weight32 and states carry the update; the
// output is the master rounded to weight's dtype T (weight itself is not read).
template <template <typename> class Alg, typename T, size_t... K>
void run_mp(const OpAttrs& a, const Tensors& in, const Tensor& out, std::index_sequence<K...>) {
  const Alg<float> alg(a);
  const size_t n = in.size();
  fused_loop<T, T, float, Same<K, float>...>({out, in[1], in[n - 1], in[2 + K]...},
                                             [alg](T& o, const T& g, float& w32, auto&... s) BRAID_OPT_INLINE {
                                               w32 = step_states(alg, w32, static_cast<float>(g), s...);
                                               o = static_cast<T>(w32);
                                             });
}

// Attributes shared by every update op, in MXNet's order after the op's own.
OpDef& attrs_wd_rescale_clip(OpDef& d) {
  return d.attr_float("wd", 0.0, "weight decay: adds wd * weight to the gradient (per the op's formula)")
      .attr_float("rescale_grad", 1.0, "scales the gradient first: grad = rescale_grad * grad")
      .attr_float("clip_gradient", -1.0,
                  "clips the rescaled gradient to [-clip_gradient, clip_gradient]; <= 0 turns clipping off");
}

// Registers name (states in weight's dtype) and, when mp_name is non-empty, its multi-precision form.
// add_attrs declares the op's attributes after lr. Returns the two definitions (the second null without mp).
template <template <typename> class Alg>
std::array<OpDef*, 2> add_update(Registry& r, const std::string& name, const std::string& mp_name,
                                 const std::string& doc, const std::vector<std::string>& states,
                                 const std::function<void(OpDef&)>& add_attrs) {
  constexpr int ns = Alg<float>::kStates;
  using Seq = std::make_index_sequence<ns>;
  std::array<OpDef*, 2> defs = {nullptr, nullptr};
  for (int mp = 0; mp < 2; ++mp) {
    if (mp && mp_name.empty())
      continue;
    std::vector<std::string> inputs = {"weight", "grad"};
    inputs.insert(inputs.end(), states.begin(), states.end());
    std::vector<int> mutated;
    for (int i = 0; i < ns; ++i)
      mutated.push_back(2 + i);
    if (mp) {
      inputs.push_back("weight32");
      mutated.push_back(2 + ns);
    }
    OpDef& d = r.add(mp ? mp_name : name);
    defs[mp] = &d;
    d.describe(mp ? "Multi-precision " + name +
                        ": weight and grad may be float16 or bfloat16; the float32 master copy weight32 and the "
                        "states carry the update, and the output is weight32 rounded to weight's dtype. " +
                        doc
                  : doc)
        .inputs(inputs)
        .attr_float_required("lr", "learning rate");
    add_attrs(d);
    d.mutates(mutated).set_infer(update_infer(mp ? 2 : inputs.size()));
    if (mp) {
      d.set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        dispatch_float(in[0].dtype(), a.op()->name.c_str(),
                       [&](auto tag) { run_mp<Alg, typename decltype(tag)::type>(a, in, out[0], Seq{}); });
      });
    } else {
      d.set_cpu([](const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
        dispatch_float(in[0].dtype(), a.op()->name.c_str(),
                       [&](auto tag) { run_plain<Alg, typename decltype(tag)::type>(a, in, out[0], Seq{}); });
      });
    }
  }
  return defs;
}

void lazy_update_attr(OpDef& d) {
  d.attr_bool("lazy_update", true, "for row-sparse gradients in MXNet; dense arrays always update every element");
}

void adam_attrs(OpDef& d) {
  d.attr_float("beta1", 0.9, "decay rate of the first moment")
      .attr_float("beta2", 0.999, "decay rate of the second moment");
  d.attr_float("epsilon", 1e-8, "added to the root of the second moment for stability");
}

}  // namespace

void register_optimizer_ops(Registry& r) {
  add_update<Sgd>(r, "sgd_update", "mp_sgd_update",
                  "SGD step: weight = (1 - lr*wd) * weight - lr * clip(rescale_grad * grad).", {}, [](OpDef& d) {
                    attrs_wd_rescale_clip(d);
                    lazy_update_attr(d);
                  });
  add_update<SgdMom>(r, "sgd_mom_update", "mp_sgd_mom_update",
                     "SGD with momentum: mom = momentum*mom - lr*wd*weight - lr*clip(rescale_grad*grad); "
                     "weight += mom. Updates mom in place.",
                     {"mom"}, [](OpDef& d) {
                       d.attr_float("momentum", 0.0, "decay rate of the momentum");
                       attrs_wd_rescale_clip(d);
                       lazy_update_attr(d);
                     });
  add_update<Nag>(r, "nag_mom_update", "mp_nag_mom_update",
                  "Nesterov momentum: g = clip(rescale_grad*grad) + wd*weight; mom = momentum*mom + g; "
                  "weight -= lr * (momentum*mom + g). Updates mom in place.",
                  {"mom"}, [](OpDef& d) {
                    d.attr_float("momentum", 0.0, "decay rate of the momentum");
                    attrs_wd_rescale_clip(d);
                  });
  add_update<Adam>(r, "adam_update", "mp_adam_update",
                   "Adam step: g = clip(rescale_grad*grad + wd*weight); mean = beta1*mean + (1-beta1)*g; "
                   "var = beta2*var + (1-beta2)*g^2; weight -= lr * mean / (sqrt(var) + epsilon). No bias "
                   "correction (fold it into lr). Updates mean and var in place.",
                   {"mean", "var"}, [](OpDef& d) {
                     adam_attrs(d);
                     attrs_wd_rescale_clip(d);
                     lazy_update_attr(d);
                   });
  auto adamw = add_update<AdamW>(
      r, "adamw_update", "mp_adamw_update",
      "AdamW step (decoupled weight decay): g = clip(rescale_grad*grad); mean and var as in adam; "
      "weight -= eta * (lr * mean / (sqrt(var) + epsilon) + wd*weight). Updates mean and var in place.",
      {"mean", "var"}, [](OpDef& d) {
        adam_attrs(d);
        d.attr_float("wd", 0.0, "decoupled weight decay, applied to the weight beside the Adam step");
        d.attr_float_required("eta", "schedule multiplier of the whole step");
        d.attr_float("rescale_grad", 1.0, "scales the gradient first: grad = rescale_grad * grad");
        d.attr_float("clip_gradient", -1.0,
                     "clips the rescaled gradient to [-clip_gradient, clip_gradient]; <= 0 turns "
                     "clipping off");
      });
  adamw[0]->alias("_adamw_update");
  adamw[1]->alias("_mp_adamw_update");
  add_update<RmsProp>(r, "rmsprop_update", "mp_rmsprop_update",
                      "RMSProp step (non-centred): g = clip(rescale_grad*grad + wd*weight); "
                      "n = (1-rho)*g^2 + rho*n; weight -= lr * g / sqrt(n + epsilon), then clipped to "
                      "[-clip_weights, clip_weights] when clip_weights > 0. Updates n in place.",
                      {"n"}, [](OpDef& d) {
                        d.attr_float("rho", 0.95, "decay rate of the squared-gradient average (MXNet's gamma1)");
                        d.attr_float("epsilon", 1e-8, "added to n inside the square root");
                        attrs_wd_rescale_clip(d);
                        d.attr_float("clip_weights", -1.0,
                                     "clips the new weight to [-clip_weights, clip_weights]; <= 0 turns it off");
                      });
  auto adagrad =
      add_update<Adagrad>(r, "adagrad_update", "mp_adagrad_update",
                          "Adagrad step: g = clip(rescale_grad*grad); history += g^2; "
                          "weight -= lr * (g / (sqrt(history) + epsilon) + wd*weight). Updates history in place.",
                          {"history"}, [](OpDef& d) {
                            d.attr_float("epsilon", 1e-7, "added to the root of the history for stability");
                            attrs_wd_rescale_clip(d);
                          });
  adagrad[0]->alias("_sparse_adagrad_update");
}

}  // namespace braid
