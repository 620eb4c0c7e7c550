// Autograd through the C ABI: modes, gradient leaves, backward and grad.
#include "api_common.h"
#include "autograd/autograd.h"
#include "autograd/mode.h"

using namespace braid;

namespace {

std::vector<Tensor> arrays_of(int32_t n, const braid_array* arr, const char* fn, const char* what, bool allow_null) {
  BRAID_CHECK(n >= 0 && (n == 0 || arr != nullptr), kValue, fn, ": ", what, " is NULL");
  std::vector<Tensor> v(n);
  for (int32_t i = 0; i < n; ++i) {
    if (arr[i]) {
      v[i] = arr[i]->t;
    } else {
      BRAID_CHECK(allow_null, kValue, fn, ": ", what, "[", i, "] is NULL");
    }
  }
  return v;
}

}  // namespace

int braid_autograd_set_recording(int32_t on, int32_t* prev) {
  return guarded([&] {
    bool old = set_recording(on != 0);
    if (prev)
      *prev = old;
  });
}

int braid_autograd_set_training(int32_t on, int32_t* prev) {
  return guarded([&] {
    bool old = set_training(on != 0);
    if (prev)
      *prev = old;
  });
}

int braid_autograd_is_recording(int32_t* out) {
  return guarded([&] {
    check_out(out, "braid_autograd_is_recording", "out");
    *out = is_recording();
  });
}

int braid_autograd_is_training(int32_t* out) {
  return guarded([&] {
    check_out(out, "braid_autograd_is_training", "out");
    *out = is_training();
  });
}

int braid_array_attach_grad(braid_array arr, int32_t grad_req) {
  return guarded([&] {
    BRAID_CHECK(grad_req >= 0 && grad_req <= 2, kValue,
                "attach_grad: grad_req must be 0 (null), 1 (write) or 2 "
                "(add), got ",
                grad_req);
    attach_grad(tensor_of(arr, "attach_grad"), static_cast<GradReq>(grad_req));
  });
}

int braid_array_get_grad(braid_array arr, braid_array* out) {
  return guarded([&] {
    check_out(out, "braid_array_get_grad", "out");
    Tensor g = grad_of(tensor_of(arr, "grad"));
    *out = g.defined() ? new_handle(g) : nullptr;
  });
}

int braid_array_detach(braid_array arr, braid_array* out) {
  return guarded([&] {
    check_out(out, "braid_array_detach", "out");
    *out = new_handle(tensor_of(arr, "detach").detached());
  });
}

int braid_autograd_backward(int32_t num_heads, const braid_array* heads, const braid_array* head_grads,
                            int32_t retain_graph, int32_t create_graph, int32_t train_mode) {
  return guarded([&] {
    std::vector<Tensor> h = arrays_of(num_heads, heads, "backward", "heads", false);
    std::vector<Tensor> g =
        head_grads ? arrays_of(num_heads, head_grads, "backward", "head_grads", true) : std::vector<Tensor>();
    backward(h, g, retain_graph != 0, create_graph != 0, train_mode != 0);
  });
}

int braid_autograd_grad(int32_t num_heads, const braid_array* heads, const braid_array* head_grads, int32_t num_vars,
                        const braid_array* variables, int32_t retain_graph, int32_t create_graph, int32_t train_mode,
                        braid_array* grads) {
  return guarded([&] {
    check_out(grads, "braid_autograd_grad", "grads");
    std::vector<Tensor> h = arrays_of(num_heads, heads, "grad", "heads", false);
    std::vector<Tensor> g =
        head_grads ? arrays_of(num_heads, head_grads, "grad", "head_grads", true) : std::vector<Tensor>();
    std::vector<Tensor> v = arrays_of(num_vars, variables, "grad", "variables", false);
    std::vector<Tensor> r = grad(h, g, v, retain_graph != 0, create_graph != 0, train_mode != 0);
    for (size_t i = 0; i < r.size(); ++i)
      grads[i] = new_handle(r[i]);
  });
}

namespace {

// Owns the binding's state for one recorded custom function; releases it with the node.
struct CustomState {
  braid_custom_backward_fn backward;
  braid_custom_release_fn release;
  void* state;
  ~CustomState() {
    if (release)
      release(state);
  }
};

}  // namespace

int braid_autograd_record_custom(int32_t num_inputs, const braid_array* inputs, int32_t num_outputs,
                                 const braid_array* outputs, braid_custom_backward_fn backward,
                                 braid_custom_release_fn release, void* state) {
  return guarded([&] {
    BRAID_CHECK(backward != nullptr, kValue, "record_custom: backward is NULL");
    std::vector<Tensor> in = arrays_of(num_inputs, inputs, "record_custom", "inputs", false);
    std::vector<Tensor> out = arrays_of(num_outputs, outputs, "record_custom", "outputs", false);
    auto st = std::shared_ptr<CustomState>(new CustomState{backward, release, state});
    const int32_t n_in = num_inputs;
    record_custom(in, out, [st, n_in](const std::vector<Tensor>& og) {
      std::vector<braid_array> og_h(og.size());
      for (size_t i = 0; i < og.size(); ++i)
        og_h[i] = new_handle(og[i]);
      std::vector<braid_array> ig_h(n_in, nullptr);
      int rc = st->backward(st->state, static_cast<int32_t>(og.size()), og_h.data(), n_in, ig_h.data());
      std::vector<Tensor> grads(n_in);
      for (int32_t i = 0; i < n_in; ++i) {
        if (ig_h[i]) {
          grads[i] = ig_h[i]->t;
          delete ig_h[i];
        }
      }
      BRAID_CHECK(rc == 0, kRuntime, "autograd.Function: its backward failed");
      return grads;
    });
  });
}

int braid_array_grad_fresh(braid_array arr, int32_t set_to, int32_t* was_fresh) {
  return guarded([&] {
    const Tensor& t = tensor_of(arr, "grad_fresh");
    BRAID_CHECK(set_to >= -1 && set_to <= 1, kValue, "grad_fresh: set_to must be -1, 0 or 1, got ", set_to);
    AGInfo* ag = t.impl()->ag.get();
    const bool leaf = ag && ag->is_leaf() && ag->grad_req != GradReq::kNull;
    if (was_fresh)
      *was_fresh = leaf && ag->fresh;
    if (leaf && set_to >= 0)
      ag->fresh = set_to != 0;
  });
}
