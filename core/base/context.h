// A device context: which backend and which device of it. cpu(0) and cpu(1) are distinct contexts with their own
// memory pool and engine workers, so multi-device code paths can be exercised without a GPU.
#pragma once
#include <string>

namespace braid {

// Values follow MXNet's device type codes (also used in .params files).
enum class DeviceType : int { kCPU = 1, kGPU = 2 };

struct Context {
  DeviceType type = DeviceType::kCPU;
  int id = 0;

  bool operator==(const Context& o) const { return type == o.type && id == o.id; }
  bool operator!=(const Context& o) const { return !(*this == o); }
  bool is_cpu() const { return type == DeviceType::kCPU; }
  std::string str() const { return (type == DeviceType::kCPU ? "cpu(" : "gpu(") + std::to_string(id) + ")"; }
  static Context cpu(int id = 0) { return {DeviceType::kCPU, id}; }
  static Context gpu(int id = 0) { return {DeviceType::kGPU, id}; }
};

// Bounds for per-context tables (memory pools, engine workers).
constexpr int kMaxDevicesPerType = 64;

}  // namespace braid
