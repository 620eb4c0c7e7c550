// Shared pieces of the basic NN ops (FullyConnected, activations, softmax family, Dropout, Embedding, Pad,
// SequenceMask). Each topic lives in its own file and registers through one of the functions below, all
// called from register_nn_basic_ops, so the op-family list in all_ops.h stays one line per family.
#pragma once
#include <string>
#include <vector>

#include "ops/kernel_util.h"

namespace braid {

void register_fully_connected_op(Registry& r);     // FullyConnected
void register_activation_ops(Registry& r);         // Activation, LeakyReLU and their backward helpers
void register_softmax_ops(Registry& r);            // softmax, log_softmax, SoftmaxOutput, softmax_cross_entropy
void register_dropout_embedding_ops(Registry& r);  // Dropout, Embedding
void register_pad_mask_ops(Registry& r);           // Pad, SequenceMask

namespace nn {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

// Half-precision inputs are computed in float32; float64 stays float64.
inline DType compute_dtype(DType t) {
  return t == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32;
}

// Where a kernel writes its result: out itself when it is contiguous with dtype dt, else a scratch array that
// finish_out then copies (and converts) into out.
inline Tensor out_buffer(const Tensor& out, DType dt) {
  return out.is_contiguous() && out.dtype() == dt ? out : Tensor::empty(out.shape(), dt, out.ctx());
}
inline void finish_out(const Tensor& buf, const Tensor& out) {
  if (buf.impl() != out.impl())
    copy_into(buf, out);
}

// Runs f(type_tag<C>) with C = float or double, the compute type of a floating dtype (others raise, naming op).
template <typename F>
void dispatch_compute(DType t, const char* op, F f) {
  dispatch_float(t, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = typename std::conditional<std::is_same<T, double>::value, double, float>::type;
    f(type_tag<C>{});
  });
}

inline void check_float_input(const std::string& op, const std::string& arg, DType t) {
  BRAID_CHECK(dtype_is_float(t), kType, op, ": input '", arg, "' must have a floating-point dtype, got ",
              dtype_name(t));
}

inline int normalize_axis(const std::string& op, int64_t axis, int ndim) {
  BRAID_CHECK(axis >= -ndim && axis < ndim, kValue, op, ": axis ", axis, " is out of range for a ", ndim, "-D input");
  return static_cast<int>(axis < 0 ? axis + ndim : axis);
}

}  // namespace nn
}  // namespace braid
