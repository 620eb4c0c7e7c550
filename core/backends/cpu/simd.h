// The portable vector type of the CPU kernels (GCC/Clang vector extensions): 32 bytes where AVX is on, else
// 16 (SSE, WebAssembly SIMD128, NEON). Kernels written with it compile to the target's vectors everywhere.
#pragma once
#include <cstring>
#include <utility>

namespace braid {
namespace simd {

#if defined(__AVX__)
constexpr int kVecBytes = 32;
#else
constexpr int kVecBytes = 16;
#endif

template <typename T>
struct Vec {
  typedef T V __attribute__((vector_size(kVecBytes)));
  static constexpr int VL = kVecBytes / static_cast<int>(sizeof(T));
  static V load(const T* p) {  // unaligned-safe
    V v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  static void store(T* p, V v) { std::memcpy(p, &v, sizeof(v)); }
  // A splat the compiler emits as one broadcast (adding the scalar to a zero vector costs an extra add, and a
  // per-lane loop became lane inserts in WebAssembly).
  static V splat(T s) { return splat_of(s, std::make_index_sequence<VL>{}); }

 private:
  template <size_t... I>
  static V splat_of(T s, std::index_sequence<I...>) {
    return V{((void)I, s)...};
  }
};

}  // namespace simd
}  // namespace braid
