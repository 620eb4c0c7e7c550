// The operator registry. Each op is declared once, with its name (MXNet's where one exists), inputs, typed
// attributes with defaults and validation, shape/dtype inference, a kernel per backend and a slot for its
// gradient rule. The C ABI lists the registry, and the Python functions of braid.nd are generated from it.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/dtype.h"
#include "base/shape.h"
#include "engine/engine.h"
#include "tensor/tensor.h"

namespace braid {

// Values are part of the C ABI (BRAID_ATTR_*): append only.
enum class AttrKind : int32_t { kInt = 1, kFloat = 2, kBool = 3, kString = 4, kTuple = 5, kDType = 6 };

struct AttrValue {
  bool none = false;           // "None": allowed only for optional attributes
  int64_t i = 0;               // kInt, kBool, kDType (its code)
  double f = 0;                // kFloat
  std::string s;               // kString
  std::vector<int64_t> tuple;  // kTuple
};

struct AttrSpec {
  std::string name;
  AttrKind kind;
  bool optional = false;  // may be None
  bool required = false;  // must be given
  AttrValue dflt;
  std::string default_repr;          // as Python would write it
  std::vector<std::string> choices;  // for kString: the allowed values
  std::string doc;
};

struct OpDef;

// The attributes of one call, defaults filled in. Lookups are by name over a handful of entries.
class OpAttrs {
 public:
  OpAttrs() = default;
  explicit OpAttrs(const OpDef* op);
  const OpDef* op() const { return op_; }
  std::vector<AttrValue>& values() { return values_; }
  const std::vector<AttrValue>& values() const { return values_; }

  int64_t get_int(const char* name) const { return find(name).i; }
  double get_float(const char* name) const { return find(name).f; }
  bool get_bool(const char* name) const { return find(name).i != 0; }
  DType get_dtype(const char* name) const { return static_cast<DType>(find(name).i); }
  const std::string& get_str(const char* name) const { return find(name).s; }
  const std::vector<int64_t>& get_tuple(const char* name) const { return find(name).tuple; }
  bool is_none(const char* name) const { return find(name).none; }

 private:
  const AttrValue& find(const char* name) const;
  const OpDef* op_ = nullptr;
  std::vector<AttrValue> values_;
};

struct TensorMeta {
  Shape shape;
  DType dtype = DType::kFloat32;
};

// What a kernel sees besides its arrays.
struct OpContext {
  RunContext run;
  bool is_train = false;  // the caller's training mode when the op was pushed (Dropout, BatchNorm)
  uint64_t rng_seed = 0;  // for ops with needs_rng: the stream's seed and this op's first counter
  uint64_t rng_offset = 0;
};

using InferFn = std::function<void(const OpAttrs&, const std::vector<TensorMeta>& in, std::vector<TensorMeta>* out)>;
using KernelFn = std::function<void(const OpContext&, const OpAttrs&, const std::vector<Tensor>& in,
                                    const std::vector<Tensor>& out)>;
// Gradient rule, declared beside the forward: given the forward inputs, outputs and output gradients (one per
// output; an undefined Tensor where no gradient flows), returns one gradient per input, built by calling other
// registered ops (call() in ops/op_call.h), so it runs on every backend and can itself be differentiated.
// Return an undefined Tensor for inputs that get no gradient (integer indices, ...).
using GradFn = std::function<std::vector<Tensor>(const OpAttrs&, const std::vector<Tensor>& in,
                                                 const std::vector<Tensor>& out, const std::vector<Tensor>& out_grad)>;
// Backward shape inference for graphs: given the attributes and the input metas, fills in the shapes of
// parameter inputs (weights, biases) that are still unknown (empty Shape with known[i] false), from the data.
using InferInputsFn = std::function<void(const OpAttrs&, std::vector<TensorMeta>* in, std::vector<bool>* known)>;
// For ops whose number of outputs is an attribute (split): returns the count, validating the attribute.
using NumOutputsFn = std::function<int(const OpAttrs&)>;

// A None element inside a tuple attribute (slice's begin=(1, None)): the C ABI carries it as this value.
constexpr int64_t kTupleNone = INT64_MIN;

struct OpDef {
  std::string name;
  std::vector<std::string> aliases;
  std::string doc;
  std::vector<std::string> input_names;  // for a variadic op: one name, repeated
  bool variadic = false;                 // any number of inputs (>= 1), e.g. concat, stack
  int num_optional_inputs = 0;           // trailing inputs a call may omit (FullyConnected's bias under no_bias=True)
  int num_outputs = 1;
  int num_visible_outputs = -1;  // outputs a call returns (Dropout hides its mask); -1: all
  NumOutputsFn num_outputs_fn;   // when set, overrides num_outputs per call
  std::vector<AttrSpec> attrs;
  InferFn infer;
  InferInputsFn infer_inputs;  // optional
  KernelFn cpu;
  KernelFn cuda;
  GradFn grad;
  std::vector<int> mutable_inputs;  // inputs the kernel updates in place (BatchNorm's running statistics)
  bool inplace_ok = false;          // output 0 may overwrite input 0 (same shape and dtype): elementwise kernels
  bool needs_rng = false;           // draws from the random stream of its context
  int64_t rng_draws = 1;            // counters consumed per output element

  int num_inputs() const { return variadic ? -1 : static_cast<int>(input_names.size()); }
  int output_count(const OpAttrs& a) const { return num_outputs_fn ? num_outputs_fn(a) : num_outputs; }
  int attr_index(const std::string& name) const;  // -1 when absent

  // Builder helpers, so a definition reads top to bottom.
  OpDef& describe(const std::string& d) {
    doc = d;
    return *this;
  }
  OpDef& inputs(std::vector<std::string> names) {
    input_names = std::move(names);
    return *this;
  }
  // The last n declared inputs may be left out of a call; the kernel then sees fewer inputs.
  OpDef& optional_inputs(int n) {
    num_optional_inputs = n;
    return *this;
  }
  OpDef& variadic_inputs(const std::string& name) {
    input_names = {name};
    variadic = true;
    return *this;
  }
  OpDef& outputs(int n) {
    num_outputs = n;
    return *this;
  }
  OpDef& outputs_from(NumOutputsFn f) {
    num_outputs_fn = std::move(f);
    return *this;
  }
  // Only the first n outputs are returned to callers; the rest exist for the gradient rule (Dropout's mask).
  OpDef& visible_outputs(int n) {
    num_visible_outputs = n;
    return *this;
  }
  OpDef& alias(const std::string& a) {
    aliases.push_back(a);
    return *this;
  }
  OpDef& attr_int(const std::string& n, int64_t d, const std::string& doc);
  OpDef& attr_int_required(const std::string& n, const std::string& doc);
  OpDef& attr_int_optional(const std::string& n, const std::string& doc);  // default None
  OpDef& attr_float(const std::string& n, double d, const std::string& doc);
  OpDef& attr_float_required(const std::string& n, const std::string& doc);
  OpDef& attr_float_optional(const std::string& n, const std::string& doc);  // default None
  OpDef& attr_bool(const std::string& n, bool d, const std::string& doc);
  OpDef& attr_string(const std::string& n, const std::string& d, std::vector<std::string> choices,
                     const std::string& doc);
  OpDef& attr_string_optional(const std::string& n, std::vector<std::string> choices,
                              const std::string& doc);  // default None
  OpDef& attr_tuple(const std::string& n, std::vector<int64_t> d, const std::string& doc);
  OpDef& attr_tuple_required(const std::string& n, const std::string& doc);
  OpDef& attr_tuple_optional(const std::string& n, const std::string& doc);  // default None
  OpDef& attr_dtype(const std::string& n, DType d, const std::string& doc);
  OpDef& attr_dtype_optional(const std::string& n, const std::string& doc);  // default None
  OpDef& set_infer(InferFn f) {
    infer = std::move(f);
    return *this;
  }
  OpDef& set_infer_inputs(InferInputsFn f) {
    infer_inputs = std::move(f);
    return *this;
  }
  OpDef& set_cpu(KernelFn f) {
    cpu = std::move(f);
    return *this;
  }
  OpDef& mutates(std::vector<int> inputs) {
    mutable_inputs = std::move(inputs);
    return *this;
  }
  OpDef& set_grad(GradFn f) {
    grad = std::move(f);
    return *this;
  }
  // The kernel reads each element of input 0 before writing the same element of output 0, so a graph executor
  // may give them one buffer when input 0 is not needed afterwards.
  OpDef& inplace() {
    inplace_ok = true;
    return *this;
  }
  OpDef& set_rng(int64_t draws_per_element) {
    needs_rng = true;
    rng_draws = draws_per_element;
    return *this;
  }
};

class Registry {
 public:
  static Registry& get();
  OpDef& add(const std::string& name);
  const OpDef* find(const std::string& name) const;  // by name or alias; null when absent
  const OpDef& at(const std::string& name) const;    // throws kValue
  OpDef& def(const std::string& name);               // during registration: an op added earlier
  const std::vector<OpDef*>& ops() const { return ops_; }

 private:
  Registry();
  std::vector<OpDef*> ops_;
  std::unordered_map<std::string, OpDef*> by_name_;
  void index_aliases();
  bool indexed_ = false;
  friend struct RegistryInit;
};

}  // namespace braid
