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
