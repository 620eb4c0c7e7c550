// Imperative execution of one registered op: checks the inputs and devices, infers output shapes and dtypes,
// allocates the outputs, and pushes the kernel to the engine with the inputs as reads and outputs as writes.
// Everything that can be checked without running the kernel is checked here, in the caller's thread, so bad
// input raises at the call site.
#pragma once
#include <vector>

#include "ops/registry.h"

namespace braid {

// ctx is used only by ops without inputs (creation, random). outs, when non-empty, receives the results
// (in-place updates, `out=`); their shapes and dtypes must match what the op produces.
std::vector<Tensor> invoke(const OpDef& op, std::vector<Tensor> inputs, OpAttrs attrs, Context ctx,
                           const std::vector<Tensor>& outs = {});

// Validates and stores one attribute value given by the C ABI. kind says how the caller packed it.
void set_attr_int(OpAttrs& attrs, int index, int64_t v);
void set_attr_float(OpAttrs& attrs, int index, double v);
void set_attr_bool(OpAttrs& attrs, int index, bool v);
void set_attr_string(OpAttrs& attrs, int index, const char* v);
void set_attr_tuple(OpAttrs& attrs, int index, const int64_t* v, int64_t n);
void set_attr_dtype(OpAttrs& attrs, int index, int32_t code);
void set_attr_none(OpAttrs& attrs, int index);
// Fails when a required attribute was not given. given[i] says whether attribute i was set by the caller.
void check_required_attrs(const OpAttrs& attrs, const std::vector<bool>& given);

// Random streams: one per context, counter based, so results do not depend on thread count.
void random_seed(uint64_t seed);               // every context
void random_seed(uint64_t seed, Context ctx);  // one context
// The exact position of a context's stream (its key and counter), for checkpoints that resume bit for bit.
void random_get_state(Context ctx, uint64_t* seed, uint64_t* offset);
void random_set_state(Context ctx, uint64_t seed, uint64_t offset);

}  // namespace braid
