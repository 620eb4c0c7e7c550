// 16-bit floating point storage types. Arithmetic is done in float: these types only convert.
#pragma once
#include <cstdint>
#include <cstring>

namespace braid {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// IEEE 754 binary16.
struct float16 {
  uint16_t bits = 0;
  float16() = default;
  float16(float f) : bits(from_float(f)) {}  // NOLINT: implicit like a builtin float type
  operator float() const { return to_float(bits); }

  static uint16_t from_float(float f) {
    uint32_t x = float_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t mag = x & 0x7fffffffu;
    if (mag >= 0x7f800000u) {  // inf or nan
      return static_cast<uint16_t>(sign | 0x7c00u | (mag > 0x7f800000u ? 0x200u : 0u));
    }
    if (mag >= 0x477ff000u)
      return static_cast<uint16_t>(sign | 0x7c00u);  // overflows to inf
    if (mag < 0x38800000u) {  // subnormal or zero in half: round to nearest even via float add trick
      float a = bits_float(mag) + 0.5f;
      return static_cast<uint16_t>(sign | (float_bits(a) - 0x3f000000u));
    }
    uint32_t odd = (mag >> 13) & 1u;
    mag += 0xc8000fffu + odd;  // rebias exponent (-112 << 23) and round to nearest even
    return static_cast<uint16_t>(sign | (mag >> 13));
  }
  static float to_float(uint16_t h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0) {
      float v = static_cast<float>(man) * (1.0f / 16777216.0f);  // man * 2^-24
      return bits_float(float_bits(v) | sign);
    }
    if (exp == 31)
      return bits_float(sign | 0x7f800000u | (man << 13));
    return bits_float(sign | ((exp + 112u) << 23) | (man << 13));
  }
};

// bfloat16: the top half of a float32, rounded to nearest even.
struct bfloat16 {
  uint16_t bits = 0;
  bfloat16() = default;
  bfloat16(float f) : bits(from_float(f)) {}  // NOLINT
  operator float() const { return bits_float(static_cast<uint32_t>(bits) << 16); }

  static uint16_t from_float(float f) {
    uint32_t x = float_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u)
      return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet nan
    uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
    return static_cast<uint16_t>((x + rounding) >> 16);
  }
};

static_assert(sizeof(float16) == 2 && sizeof(bfloat16) == 2, "16-bit float types must be 2 bytes");

}  // namespace braid
