#include "ops/invoke.h"

#include <algorithm>
#include <mutex>

#include "autograd/autograd.h"
#include "autograd/mode.h"
#include "tensor/device.h"

namespace braid {

namespace {

struct RngState {
  uint64_t seed = 0;
  uint64_t offset = 0;
};

std::mutex& rng_mu() {
  static std::mutex m;
  return m;
}
// The key of device (t, i)'s stream under a global seed: distinct per device so cpu(0) and cpu(1) do not draw
// the same numbers.
uint64_t stream_key(uint64_t seed, int t, int i) {
  return seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(t * kMaxDevicesPerType + i);
}

RngState& rng_state(Context ctx) {
  static RngState states[2][kMaxDevicesPerType];
  static const bool seeded = [] {  // unseeded streams start as after random_seed(0)
    for (int t = 0; t < 2; ++t) {
      for (int i = 0; i < kMaxDevicesPerType; ++i)
        states[t][i].seed = stream_key(0, t, i);
    }
    return true;
  }();
  (void)seeded;
  return states[ctx.type == DeviceType::kCPU ? 0 : 1][ctx.id];
}

const char* kind_name(AttrKind k) {
  switch (k) {
    case AttrKind::kInt:
      return "an int";
    case AttrKind::kFloat:
      return "a float";
    case AttrKind::kBool:
      return "a bool";
    case AttrKind::kString:
      return "a string";
    case AttrKind::kTuple:
      return "a tuple of ints";
    case AttrKind::kDType:
      return "a dtype";
  }
  return "?";
}

const AttrSpec& spec_at(const OpAttrs& attrs, int index) {
  const OpDef* op = attrs.op();
  BRAID_CHECK(index >= 0 && index < static_cast<int>(op->attrs.size()), kValue, op->name, ": attribute index ", index,
              " is out of range (the op has ", op->attrs.size(), " attributes)");
  return op->attrs[index];
}

[[noreturn]] void wrong_kind(const OpAttrs& attrs, const AttrSpec& s, const char* given) {
  fail(ErrorKind::kType, attrs.op()->name, ": attribute '", s.name, "' expects ", kind_name(s.kind), ", got ", given);
}

}  // namespace

void set_attr_int(OpAttrs& attrs, int index, int64_t v) {
  const AttrSpec& s = spec_at(attrs, index);
  AttrValue& a = attrs.values()[index];
  a.none = false;
  switch (s.kind) {
    case AttrKind::kInt:
      a.i = v;
      return;
    case AttrKind::kBool:
      a.i = v != 0;
      return;
    case AttrKind::kFloat:
      a.f = static_cast<double>(v);
      return;
    case AttrKind::kTuple:
      a.tuple.assign(1, v);
      return;  // MXNet accepts axis=1 where a tuple is expected
    default:
      wrong_kind(attrs, s, "an int");
  }
}

void set_attr_float(OpAttrs& attrs, int index, double v) {
  const AttrSpec& s = spec_at(attrs, index);
  AttrValue& a = attrs.values()[index];
  a.none = false;
  if (s.kind == AttrKind::kFloat) {
    a.f = v;
  } else if (s.kind == AttrKind::kInt && v == static_cast<double>(static_cast<int64_t>(v))) {
    a.i = static_cast<int64_t>(v);
  } else {
    wrong_kind(attrs, s, str_cat("the float ", v).c_str());
  }
}

void set_attr_bool(OpAttrs& attrs, int index, bool v) {
  const AttrSpec& s = spec_at(attrs, index);
  AttrValue& a = attrs.values()[index];
  a.none = false;
  if (s.kind == AttrKind::kBool || s.kind == AttrKind::kInt) {
    a.i = v;
  } else {
    wrong_kind(attrs, s, "a bool");
  }
}

void set_attr_string(OpAttrs& attrs, int index, const char* v) {
  const AttrSpec& s = spec_at(attrs, index);
  AttrValue& a = attrs.values()[index];
  a.none = false;
  if (s.kind == AttrKind::kDType) {
    a.i = static_cast<int64_t>(dtype_from_name(v));
    return;
  }
  if (s.kind != AttrKind::kString)
    wrong_kind(attrs, s, "a string");
  if (!s.choices.empty()) {
    bool ok = false;
    std::string allowed;
    for (const std::string& c : s.choices) {
      ok = ok || c == v;
      allowed += (allowed.empty() ? "'" : ", '") + c + "'";
    }
    BRAID_CHECK(ok, kValue, attrs.op()->name, ": attribute '", s.name, "' must be one of ", allowed, ", got '", v, "'");
  }
  a.s = v;
}

void set_attr_tuple(OpAttrs& attrs, int index, const int64_t* v, int64_t n) {
  const AttrSpec& s = spec_at(attrs, index);
  AttrValue& a = attrs.values()[index];
  a.none = false;
  if (s.kind == AttrKind::kTuple) {
    a.tuple.assign(v, v + n);
  } else if (s.kind == AttrKind::kInt && n == 1) {
    a.i = v[0];
  } else {
    wrong_kind(attrs, s, "a tuple");
  }
}

void set_attr_dtype(OpAttrs& attrs, int index, int32_t code) {
  const AttrSpec& s = spec_at(attrs, index);
  BRAID_CHECK(s.kind == AttrKind::kDType, kType, attrs.op()->name, ": attribute '", s.name, "' expects ",
              kind_name(s.kind), ", got a dtype");
  BRAID_CHECK(dtype_is_valid(code), kType, attrs.op()->name, ": attribute '", s.name, "': unknown dtype code ", code);
  attrs.values()[index].none = false;
  attrs.values()[index].i = code;
}

void set_attr_none(OpAttrs& attrs, int index) {
  const AttrSpec& s = spec_at(attrs, index);
  BRAID_CHECK(s.optional, kType, attrs.op()->name, ": attribute '", s.name, "' cannot be None (expected ",
              kind_name(s.kind), ")");
  attrs.values()[index].none = true;
}

void check_required_attrs(const OpAttrs& attrs, const std::vector<bool>& given) {
  const OpDef* op = attrs.op();
  for (size_t i = 0; i < op->attrs.size(); ++i) {
    BRAID_CHECK(!op->attrs[i].required || (i < given.size() && given[i]), kValue, op->name,
                ": missing required attribute '", op->attrs[i].name, "'");
  }
}

std::vector<Tensor> invoke(const OpDef& op, std::vector<Tensor> inputs, OpAttrs attrs, Context ctx,
                           const std::vector<Tensor>& outs) {
  const size_t n_in = inputs.size();
  if (op.variadic) {
    BRAID_CHECK(n_in >= 1, kValue, op.name, ": expected at least one input");
  } else {
    const size_t n_max = op.input_names.size(), n_min = n_max - op.num_optional_inputs;
    BRAID_CHECK(n_in >= n_min && n_in <= n_max, kValue, op.name, ": expected ",
                n_min == n_max ? "" : str_cat(n_min, " to "), n_max, " input(s), got ", n_in);
  }
  // Scratch reused across calls on this thread: assigning shapes into existing vectors keeps their capacity,
  // which saves several allocations per call on the eager hot path.
  thread_local std::vector<TensorMeta> metas;
  thread_local std::vector<TensorMeta> out_meta;
  metas.resize(n_in);
  for (size_t i = 0; i < n_in; ++i) {
    const Tensor& t = inputs[i];
    BRAID_CHECK(t.defined(), kValue, op.name, ": input ", i, " is not an array");
    if (i == 0) {
      ctx = t.ctx();
    } else if (t.ctx() != ctx) {
      std::string a = "'" + op.input_names[0] + "'";
      std::string b = op.variadic ? str_cat(i) : "'" + op.input_names[i] + "'";
      if (op.variadic)
        a = "0";
      fail(ErrorKind::kDevice, op.name, ": input ", b, " is on ", t.ctx().str(), " but input ", a, " is on ", ctx.str(),
           "; move one of them with copyto() or as_in_context()");
    }
    metas[i].shape = t.shape();
    metas[i].dtype = t.dtype();
  }
  check_context(ctx);
  const KernelFn& kernel = ctx.is_cpu() ? op.cpu : op.cuda;
  BRAID_CHECK(static_cast<bool>(kernel), kNotImplemented, op.name, ": no kernel for ", ctx.str());

  out_meta.assign(op.output_count(attrs), TensorMeta());
  op.infer(attrs, metas, &out_meta);
  std::vector<Tensor> result;
  if (outs.empty()) {
    result.reserve(out_meta.size());
    for (const TensorMeta& m : out_meta)
      result.push_back(Tensor::empty(m.shape, m.dtype, ctx));
  } else {
    BRAID_CHECK(outs.size() == out_meta.size(), kValue, op.name, ": expected ", out_meta.size(),
                " output array(s), got ", outs.size());
    for (size_t i = 0; i < outs.size(); ++i) {
      const Tensor& o = outs[i];
      BRAID_CHECK(o.ctx() == ctx, kDevice, op.name, ": output ", i, " is on ", o.ctx().str(), " but the op runs on ",
                  ctx.str());
      BRAID_CHECK(o.shape() == out_meta[i].shape, kValue, op.name, ": output ", i, " has shape ", shape_str(o.shape()),
                  ", expected ", shape_str(out_meta[i].shape));
      BRAID_CHECK(o.dtype() == out_meta[i].dtype, kType, op.name, ": output ", i, " has dtype ", dtype_name(o.dtype()),
                  ", expected ", dtype_name(out_meta[i].dtype));
    }
    result = outs;
  }

  OpContext octx;
  octx.run.ctx = ctx;
  octx.is_train = is_training();
  if (op.needs_rng) {
    int64_t n = 0;
    for (const Tensor& t : result)
      n += t.numel();
    std::lock_guard<std::mutex> lk(rng_mu());
    RngState& st = rng_state(ctx);
    octx.rng_seed = st.seed;
    octx.rng_offset = st.offset;
    st.offset += static_cast<uint64_t>(n * op.rng_draws);
  }

  std::vector<VarPtr> reads, writes;
  reads.reserve(n_in);
  for (const Tensor& t : inputs)
    reads.push_back(t.var_ptr());
  writes.reserve(result.size() + op.mutable_inputs.size());
  for (const Tensor& t : result)
    writes.push_back(t.var_ptr());
  for (int i : op.mutable_inputs) {
    if (i < static_cast<int>(n_in))
      writes.push_back(inputs[i].var_ptr());  // ordered like any other write
  }

  if (is_recording())
    record_op(op, attrs, inputs, result);

  // Work this small costs less than a thread hand-off: at most kTinyElements of output, and inputs small
  // enough that one pass over them takes microseconds (a batch-1 matrix-vector product qualifies; a 4 MB
  // reduction to a scalar does not). The engine runs such an op in this thread only when nothing is queued.
  constexpr int64_t kTinyElements = 1 << 14;
  constexpr int64_t kTinyInputElements = 1 << 19;
  int64_t biggest_in = 0, biggest_out = 0;
  for (const Tensor& t : inputs)
    biggest_in = std::max(biggest_in, t.numel());
  for (const Tensor& t : result)
    biggest_out = std::max(biggest_out, t.numel());
  const bool tiny = biggest_out <= kTinyElements && biggest_in <= kTinyInputElements && ctx.is_cpu();

  const KernelFn* fn = &kernel;
  Engine::get().push(
      [fn, octx, attrs = std::move(attrs), inputs = std::move(inputs), result](const RunContext& rc) {
        OpContext c = octx;
        c.run = rc;
        (*fn)(c, attrs, inputs, result);
      },
      ctx, std::move(reads), std::move(writes), op.name.c_str(), tiny);
  return result;
}

void random_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lk(rng_mu());
  for (int t = 0; t < 2; ++t) {
    for (int i = 0; i < kMaxDevicesPerType; ++i) {
      RngState& st = rng_state(Context{t == 0 ? DeviceType::kCPU : DeviceType::kGPU, i});
      st.seed = stream_key(seed, t, i);
      st.offset = 0;
    }
  }
}

void random_seed(uint64_t seed, Context ctx) {
  std::lock_guard<std::mutex> lk(rng_mu());
  RngState& st = rng_state(ctx);
  st.seed = seed * 0x9E3779B97F4A7C15ull;
  st.offset = 0;
}

void random_get_state(Context ctx, uint64_t* seed, uint64_t* offset) {
  std::lock_guard<std::mutex> lk(rng_mu());
  const RngState& st = rng_state(ctx);
  *seed = st.seed;
  *offset = st.offset;
}

void random_set_state(Context ctx, uint64_t seed, uint64_t offset) {
  std::lock_guard<std::mutex> lk(rng_mu());
  RngState& st = rng_state(ctx);
  st.seed = seed;
  st.offset = offset;
}

}  // namespace braid
