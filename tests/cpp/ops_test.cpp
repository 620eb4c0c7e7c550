// The op registry and the invoke layer, in C++: lookups, attributes, results of ops run through the engine,
// and the checks invoke makes in the caller's thread (shapes, devices, required attributes).
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "backends/cpu/parallel.h"
#include "harness.h"
#include "ops/invoke.h"
#include "ops/registry.h"

using namespace braid;

namespace {

Tensor from_vector(const std::vector<float>& v, const Shape& shape, Context ctx = Context::cpu()) {
  Tensor t = Tensor::empty(shape, DType::kFloat32, ctx);
  std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(float));  // a fresh array: nothing pending on it
  return t;
}

std::vector<float> to_vector(const Tensor& t) {
  Engine::get().wait_for_var(t.var_ptr());
  REQUIRE(t.dtype() == DType::kFloat32 && t.is_contiguous());
  const float* p = t.data<float>();
  return std::vector<float>(p, p + t.numel());
}

OpAttrs with_floats(const OpDef& op, const std::vector<std::pair<const char*, double>>& values) {
  OpAttrs a(&op);
  std::vector<bool> given(op.attrs.size(), false);
  for (const auto& kv : values) {
    int i = op.attr_index(kv.first);
    REQUIRE(i >= 0);
    set_attr_float(a, i, kv.second);
    given[i] = true;
  }
  check_required_attrs(a, given);
  return a;
}

bool mentions(const char* msg, const char* what) {
  return std::strstr(msg, what) != nullptr;
}

}  // namespace

TEST(registry_lookup) {
  const Registry& r = Registry::get();
  CHECK(r.ops().size() > 20);
  REQUIRE(r.find("broadcast_add") != nullptr);
  CHECK_EQ(r.at("broadcast_add").num_inputs(), 2);
  CHECK(r.find("no_such_op") == nullptr);
  CHECK_THROWS_AS(r.at("no_such_op"), Error, CHECK(e.kind() == ErrorKind::kValue));
  for (const OpDef* op : r.ops()) {
    CHECK(static_cast<bool>(op->infer));
    CHECK(static_cast<bool>(op->cpu));
    CHECK(r.find(op->name) == op);
    for (const std::string& a : op->aliases)
      CHECK(r.find(a) == op);
  }
}

TEST(broadcast_add_through_invoke) {
  const OpDef& op = Registry::get().at("broadcast_add");
  Tensor a = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = from_vector({10, 20, 30}, {1, 3});
  std::vector<Tensor> out = invoke(op, {a, b}, OpAttrs(&op), Context::cpu());
  REQUIRE(out.size() == 1);
  CHECK(out[0].shape() == Shape({2, 3}));
  CHECK(to_vector(out[0]) == std::vector<float>({11, 22, 33, 14, 25, 36}));
}

TEST(scalar_and_clip_attributes) {
  const OpDef& plus = Registry::get().at("_plus_scalar");
  Tensor x = from_vector({-2, -0.5f, 0.5f, 3}, {4});
  Tensor y = invoke(plus, {x}, with_floats(plus, {{"scalar", 1.5}}), Context::cpu())[0];
  CHECK(to_vector(y) == std::vector<float>({-0.5f, 1, 2, 4.5f}));
  const OpDef& clip = Registry::get().at("clip");
  Tensor z = invoke(clip, {y}, with_floats(clip, {{"a_min", 0}, {"a_max", 2}}), Context::cpu())[0];
  CHECK(to_vector(z) == std::vector<float>({0, 1, 2, 2}));
  // clip's bounds are required.
  CHECK_THROWS_AS(with_floats(clip, {{"a_min", 0}}), Error, {
    CHECK(e.kind() == ErrorKind::kValue);
    CHECK(mentions(e.what(), "a_max"));
  });
}

// A chain of ops on one array, in place: each must see the previous one's result (the engine orders them).
TEST(in_place_chain) {
  const OpDef& plus = Registry::get().at("_plus_scalar");
  Tensor x = from_vector(std::vector<float>(1000, 0.0f), {1000});
  OpAttrs one = with_floats(plus, {{"scalar", 1}});
  for (int i = 0; i < 100; ++i)
    invoke(plus, {x}, one, Context::cpu(), {x});
  std::vector<float> v = to_vector(x);
  CHECK_EQ(v.front(), 100.0f);
  CHECK_EQ(v.back(), 100.0f);
}

TEST(invoke_checks_in_the_callers_thread) {
  const OpDef& add = Registry::get().at("broadcast_add");
  Tensor a = from_vector({1, 2, 3}, {3});
  Tensor b = from_vector({1, 2}, {2});
  CHECK_THROWS_AS(invoke(add, {a, b}, OpAttrs(&add), Context::cpu()), Error, {
    CHECK(e.kind() == ErrorKind::kValue);
    CHECK(mentions(e.what(), "broadcast_add"));
  });
  Tensor c = from_vector({1, 2, 3}, {3}, Context::cpu(1));
  CHECK_THROWS_AS(invoke(add, {a, c}, OpAttrs(&add), Context::cpu()), Error, {
    CHECK(e.kind() == ErrorKind::kDevice);
    CHECK(mentions(e.what(), "cpu(1)"));
  });
  CHECK_THROWS_AS(invoke(add, {a}, OpAttrs(&add), Context::cpu()), Error, CHECK(e.kind() == ErrorKind::kValue));
  // An output on the wrong device, for an in-place call.
  Tensor out1 = Tensor::empty({3}, DType::kFloat32, Context::cpu(1));
  CHECK_THROWS_AS(invoke(add, {a, a}, OpAttrs(&add), Context::cpu(), {out1}), Error,
                  CHECK(e.kind() == ErrorKind::kDevice));
  CHECK_NOTHROW(Engine::get().wait_all());  // nothing was pushed by the failed calls
}

TEST(tiny_ops_run_in_the_pushing_thread_stay_serial) {
  {
    SerialScope outer;
    CHECK(cpu_num_threads() == 1);
    {
      SerialScope inner;
      CHECK(cpu_num_threads() == 1);
    }
    CHECK(cpu_num_threads() == 1);  // still inside the outer scope
  }
  const char* type = std::getenv("BRAID_ENGINE_TYPE");
  const char* inl = std::getenv("BRAID_ENGINE_INLINE_TINY");
  if ((type && std::strcmp(type, "NaiveEngine") == 0) || (inl && std::strcmp(inl, "0") == 0))
    return;                  // only the threaded engine inlines tiny ops into the pushing thread
  Engine::get().wait_all();  // nothing queued: a tiny op runs right here
  std::thread::id ran_on;
  int threads = 0;
  VarPtr v = Engine::get().new_var();
  Engine::get().push(
      [&](const RunContext&) {
        ran_on = std::this_thread::get_id();
        threads = cpu_num_threads();
      },
      Context::cpu(), {}, {v}, "probe", /*tiny=*/true);
  Engine::get().wait_for_var(v);
  CHECK(ran_on == std::this_thread::get_id());
  CHECK(threads == 1);
}

int main(int argc, char** argv) {
  return harness::run_all(argc, argv);
}
