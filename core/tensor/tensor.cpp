#include "tensor/tensor.h"

#include "base/error.h"
#include "tensor/device.h"

namespace braid {

Tensor Tensor::empty(const Shape& shape, DType dtype, Context ctx) {
  for (int64_t d : shape) {
    BRAID_CHECK(d >= 0, kValue, "array shape ", shape_str(shape), " has a negative dimension");
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  impl->ctx = ctx;
  size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  if (bytes > 0) {
    check_context(ctx);
    impl->storage = std::make_shared<Storage>(ctx, bytes);
  }
  impl->var = Engine::get().new_var();
  return Tensor(std::move(impl));
}

Tensor Tensor::from_external(void* data, const Shape& shape, const Shape& strides, DType dtype, Context ctx,
                             std::function<void()> deleter) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->strides = strides;
  impl->dtype = dtype;
  impl->ctx = ctx;
  // The extent is not known for arbitrary strides; 0 marks "external, unknown size".
  impl->storage = std::make_shared<Storage>(ctx, data, 0, std::move(deleter));
  impl->var = Engine::get().new_var();
  return Tensor(std::move(impl));
}

bool Tensor::is_contiguous() const {
  int64_t expect = 1;
  for (size_t i = impl_->shape.size(); i-- > 0;) {
    if (impl_->shape[i] == 1)
      continue;
    if (impl_->strides[i] != expect)
      return false;
    expect *= impl_->shape[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  if (!impl_->storage)
    return nullptr;
  return static_cast<char*>(impl_->storage->data()) + impl_->offset * static_cast<int64_t>(dtype_size(dtype()));
}

Tensor Tensor::detached() const {
  auto v = std::make_shared<TensorImpl>(*impl_);
  v->ag.reset();
  return Tensor(std::move(v));
}

Tensor Tensor::view(const Shape& shape, const Shape& strides, int64_t offset) const {
  auto v = std::make_shared<TensorImpl>(*impl_);
  v->ag.reset();  // a view is a new array for autograd: it is not its base's leaf
  v->shape = shape;
  v->strides = strides;
  v->offset = offset;
  return Tensor(std::move(v));
}

Tensor Tensor::reshape_view(const Shape& shape) const {
  BRAID_CHECK(shape_numel(shape) == numel(), kValue, "reshape: cannot reshape array of shape ",
              shape_str(this->shape()), " into shape ", shape_str(shape));
  BRAID_CHECK(is_contiguous(), kValue, "reshape: a view needs a contiguous array; copy it first");
  return view(shape, contiguous_strides(shape), impl_->offset);
}

Tensor Tensor::transpose_view(const std::vector<int>& axes) const {
  BRAID_CHECK(static_cast<int>(axes.size()) == ndim(), kValue, "transpose: axes has ", axes.size(),
              " entries, expected ", ndim());
  Shape s(axes.size()), st(axes.size());
  std::vector<bool> seen(axes.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    int a = axes[i];
    BRAID_CHECK(a >= 0 && a < ndim() && !seen[a], kValue, "transpose: axes must be a permutation of 0..", ndim() - 1);
    seen[a] = true;
    s[i] = impl_->shape[a];
    st[i] = impl_->strides[a];
  }
  return view(s, st, impl_->offset);
}

}  // namespace braid
