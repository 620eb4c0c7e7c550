// Random sampling ops (MXNet's random_uniform, random_normal, random_randint). They take no inputs; each call
// draws from its context's Philox stream: invoke() hands the kernel the stream's key (rng_seed) and the first
// counter of this call (rng_offset) and advances the stream by one counter per output element. Element i
// uses counter rng_offset + i alone, so the numbers do not depend on the thread count.
#include <cmath>
#include <limits>
#include <type_traits>

#include "backends/cpu/philox.h"
#include "ops/kernel_util.h"

namespace braid {

namespace {

using Metas = std::vector<TensorMeta>;
using Tensors = std::vector<Tensor>;

constexpr double kTwoPi = 6.283185307179586476925286766559;

void infer_random(const OpAttrs& a, Metas* out) {
  const Shape& s = a.get_tuple("shape");
  for (int64_t d : s) {
    BRAID_CHECK(d >= 0, kValue, a.op()->name, ": shape ", shape_str(s), " has a negative dimension");
  }
  (*out)[0].shape = s;
  (*out)[0].dtype = a.get_dtype("dtype");
}

void check_float_dtype(const OpAttrs& a) {
  const DType t = a.get_dtype("dtype");
  BRAID_CHECK(dtype_is_float(t), kType, a.op()->name, ": dtype must be a floating-point type, got ", dtype_name(t));
}

// The largest value of type T below x (x itself being representable): where rounding low + (high - low) * u
// up to high is pulled back, so samples stay in [low, high).
template <typename T>
T just_below(T x) {
  if constexpr (std::is_floating_point<T>::value) {
    return std::nextafter(x, -std::numeric_limits<T>::infinity());
  } else {  // float16, bfloat16: step the bit pattern (sign-magnitude)
    T r = x;
    if (static_cast<float>(x) > 0.0f) {
      r.bits = static_cast<uint16_t>(x.bits - 1);
    } else if (static_cast<float>(x) == 0.0f) {
      r.bits = 0x8001u;  // the smallest negative subnormal
    } else {
      r.bits = static_cast<uint16_t>(x.bits + 1);
    }
    return r;
  }
}

// Writes sample(i, words) for every element i of out, words being Philox's output for counter offset + i.
// Samples go through a contiguous buffer when out= named a strided view.
template <typename T, typename Sample>
void fill_random(const OpContext& ctx, const Tensor& out, Sample sample) {
  const int64_t n = out.numel();
  if (n == 0)
    return;
  Tensor buf = out.is_contiguous() ? out : Tensor::empty(out.shape(), out.dtype(), out.ctx());
  T* p = buf.data<T>();
  const uint64_t key = ctx.rng_seed, offset = ctx.rng_offset;
  parallel_for(n, 4096, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      p[i] = sample(philox4x32_10(offset + static_cast<uint64_t>(i), key));
  });
  if (buf.impl() != out.impl())
    copy_into(buf, out);
}

void uniform_kernel(const OpContext& ctx, const OpAttrs& a, const Tensors&, const Tensors& out) {
  const double low = a.get_float("low"), high = a.get_float("high");
  dispatch_float(out[0].dtype(), "random_uniform", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T top = static_cast<T>(static_cast<compute_t<T>>(high));
    const T capped = static_cast<double>(static_cast<compute_t<T>>(top)) > low ? just_below(top) : top;
    fill_random<T>(ctx, out[0], [=](const Philox4x32& w) {
      const double u = std::is_same<T, double>::value ? uniform53(w.v[0], w.v[1]) : uniform24(w.v[0]);
      const T v = static_cast<T>(static_cast<compute_t<T>>(low + (high - low) * u));
      return static_cast<double>(static_cast<compute_t<T>>(v)) >= high && high > low ? capped : v;
    });
  });
}

// Box-Muller: one normal per element from two uniforms (the sine half is not used, so that every element
// depends on its own counter only). u1 is in (0, 1], so the logarithm is finite.
void normal_kernel(const OpContext& ctx, const OpAttrs& a, const Tensors&, const Tensors& out) {
  const double loc = a.get_float("loc"), scale = a.get_float("scale");
  dispatch_float(out[0].dtype(), "random_normal", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same<T, double>::value) {
      fill_random<T>(ctx, out[0], [=](const Philox4x32& w) {
        const double u1 = 1.0 - uniform53(w.v[0], w.v[1]), u2 = uniform53(w.v[2], w.v[3]);
        return loc + scale * std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
      });
    } else {
      const float floc = static_cast<float>(loc), fscale = static_cast<float>(scale);
      fill_random<T>(ctx, out[0], [=](const Philox4x32& w) {
        const float u1 = 1.0f - uniform24(w.v[0]), u2 = uniform24(w.v[1]);
        const float z = std::sqrt(-2.0f * std::log(u1)) * std::cos(static_cast<float>(kTwoPi) * u2);
        return static_cast<T>(floc + fscale * z);
      });
    }
  });
}

// High 64 bits of a 64 x 64-bit product, in portable arithmetic (no __int128 on every target).
inline uint64_t mul_hi64(uint64_t a, uint64_t b) {
  const uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32, b_lo = b & 0xffffffffu, b_hi = b >> 32;
  const uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
  const uint64_t mid = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + lo_hi;
  return hi_hi + (hi_lo >> 32) + (mid >> 32);
}

// Integers in [low, high): a 64-bit random value scaled to the range (bias below range / 2^64).
void randint_kernel(const OpContext& ctx, const OpAttrs& a, const Tensors&, const Tensors& out) {
  const int64_t low = a.get_int("low");
  const uint64_t range = static_cast<uint64_t>(a.get_int("high")) - static_cast<uint64_t>(low);
  auto draw = [=](const Philox4x32& w) {
    const uint64_t x = static_cast<uint64_t>(w.v[1]) << 32 | w.v[0];
    return static_cast<int64_t>(static_cast<uint64_t>(low) + mul_hi64(x, range));
  };
  if (out[0].dtype() == DType::kInt32) {
    fill_random<int32_t>(ctx, out[0], [=](const Philox4x32& w) { return static_cast<int32_t>(draw(w)); });
  } else {
    fill_random<int64_t>(ctx, out[0], draw);
  }
}

OpDef& random_op(Registry& r, const std::string& name, const std::string& doc) {
  return r.add(name).describe(doc).inputs({}).set_rng(1);
}

}  // namespace

void register_random_ops(Registry& r) {
  random_op(r, "random_uniform",
            "Samples from the uniform distribution on [low, high), from the context's Philox stream.")
      .alias("_random_uniform")
      .alias("uniform")
      .attr_float("low", 0.0, "lower bound (inclusive)")
      .attr_float("high", 1.0, "upper bound (exclusive)")
      .attr_tuple("shape", {}, "output shape")
      .attr_dtype("dtype", DType::kFloat32, "output dtype (a floating-point type)")
      .set_infer([](const OpAttrs& a, const Metas&, Metas* out) {
        check_float_dtype(a);
        const double low = a.get_float("low"), high = a.get_float("high");
        BRAID_CHECK(low <= high, kValue, "random_uniform: low must be <= high, got low=", low, ", high=", high);
        BRAID_CHECK(std::isfinite(low) && std::isfinite(high), kValue,
                    "random_uniform: low and high must be finite, got low=", low, ", high=", high);
        infer_random(a, out);
      })
      .set_cpu(uniform_kernel);

  random_op(r, "random_normal", "Samples from the normal distribution N(loc, scale^2) (Box-Muller).")
      .alias("_random_normal")
      .alias("normal")
      .attr_float("loc", 0.0, "mean")
      .attr_float("scale", 1.0, "standard deviation (>= 0)")
      .attr_tuple("shape", {}, "output shape")
      .attr_dtype("dtype", DType::kFloat32, "output dtype (a floating-point type)")
      .set_infer([](const OpAttrs& a, const Metas&, Metas* out) {
        check_float_dtype(a);
        BRAID_CHECK(a.get_float("scale") >= 0, kValue, "random_normal: scale must be >= 0, got ", a.get_float("scale"));
        infer_random(a, out);
      })
      .set_cpu(normal_kernel);

  random_op(r, "random_randint", "Samples integers uniformly from [low, high).")
      .alias("_random_randint")
      .alias("randint")
      .attr_int_required("low", "lower bound (inclusive)")
      .attr_int_required("high", "upper bound (exclusive)")
      .attr_tuple("shape", {}, "output shape")
      .attr_dtype("dtype", DType::kInt32, "output dtype: int32 or int64")
      .set_infer([](const OpAttrs& a, const Metas&, Metas* out) {
        const DType t = a.get_dtype("dtype");
        BRAID_CHECK(t == DType::kInt32 || t == DType::kInt64, kType,
                    "random_randint: dtype must be int32 or int64, got ", dtype_name(t));
        const int64_t low = a.get_int("low"), high = a.get_int("high");
        BRAID_CHECK(low < high, kValue, "random_randint: low must be < high, got low=", low, ", high=", high);
        if (t == DType::kInt32) {
          BRAID_CHECK(low >= std::numeric_limits<int32_t>::min() && high - 1 <= std::numeric_limits<int32_t>::max(),
                      kValue, "random_randint: low=", low, " and high=", high, " do not fit dtype int32");
        }
        infer_random(a, out);
      })
      .set_cpu(randint_kernel);
}

}  // namespace braid
