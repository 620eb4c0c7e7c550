#include "ops/transfer.h"

#include "engine/engine.h"
#include "ops/kernel_util.h"
#include "tensor/device.h"

namespace braid {

Tensor copy_to_device(const Tensor& s, Context to) {
  Tensor d = Tensor::empty(s.shape(), s.dtype(), to);
  if (s.numel() == 0)
    return d;
  Context run_on = s.ctx().is_cpu() ? to : s.ctx();
  Engine::get().push(
      [s, d](const RunContext&) {
        if (s.ctx().is_cpu() && d.ctx().is_cpu()) {
          copy_into(s, d);
        } else {
          Tensor sc = s.ctx().is_cpu() ? contiguous(s) : s;
          BRAID_CHECK(sc.is_contiguous(), kNotImplemented, "copyto: a non-contiguous GPU view");
          DeviceBackend& b = d.ctx().is_cpu() ? backend_for(s.ctx()) : backend_for(d.ctx());
          b.copy(d.raw_data(), d.ctx(), sc.raw_data(), sc.ctx(), d.nbytes());
        }
      },
      run_on, {s.var_ptr()}, {d.var_ptr()}, "copyto");
  return d;
}

}  // namespace braid
