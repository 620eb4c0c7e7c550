// Every op family registers itself through one function listed here. An explicit list (rather than static
// registrar objects) keeps ops alive in static-library builds such as WebAssembly, where unreferenced objects
// are dropped by the linker.
#pragma once

namespace braid {

class Registry;

void register_init_ops(Registry& r);       // zeros, ones, full, arange, linspace, eye, empty
void register_random_ops(Registry& r);     // uniform, normal, randint
void register_binary_ops(Registry& r);     // arithmetic and comparison with broadcasting, scalar forms
void register_unary_ops(Registry& r);      // exp, log, sqrt, relu, clip, ...
void register_reduce_ops(Registry& r);     // sum, mean, prod, max, min, argmax, argmin, norm
void register_linalg_ops(Registry& r);     // dot, batch_dot, matmul
void register_shape_ops(Registry& r);      // reshape, transpose, concat, stack, split, tile, ...
void register_index_ops(Registry& r);      // where, one_hot, take, pick, slice, slice_axis, _slice_assign
void register_cast_ops(Registry& r);       // cast, copy
void register_nn_basic_ops(Registry& r);   // FullyConnected, Activation, LeakyReLU, softmax, Dropout, Embedding...
void register_conv_ops(Registry& r);       // Convolution, Deconvolution
void register_pool_ops(Registry& r);       // Pooling, UpSampling
void register_norm_ops(Registry& r);       // BatchNorm, LayerNorm, GroupNorm, InstanceNorm, LRN
void register_optimizer_ops(Registry& r);  // sgd_update, adam_update, ..., their mp_ forms
void register_optimizer_multi_ops(Registry& r);  // multi_sum_sq, multi_all_finite, lamb_update_phase1/2
void register_param_shape_rules(Registry& r);    // parameter shapes from data, for graph shape inference

}  // namespace braid
