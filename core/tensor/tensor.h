// An n-dimensional array in the core: a typed, strided window onto shared Storage, plus the engine variable
// that orders every operation touching that storage. Views share both the storage and the variable of their
// base, so writes through a view are ordered with reads of the base.
#pragma once
#include <memory>

#include "base/context.h"
#include "base/dtype.h"
#include "base/shape.h"
#include "engine/engine.h"
#include "tensor/storage.h"

namespace braid {

struct AGInfo;  // autograd state of an array (core/autograd/autograd.h)

struct TensorImpl {
  StoragePtr storage;  // null only for arrays with zero elements
  int64_t offset = 0;  // first element, in elements from storage->data()
  Shape shape;
  Shape strides;  // in elements; any sign or zero is allowed for views
  DType dtype = DType::kFloat32;
  Context ctx;
  VarPtr var;
  std::shared_ptr<AGInfo> ag;  // set when the array is a gradient leaf or the output of a recorded op
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // A new contiguous array with fresh storage and a fresh engine variable. Contents are uninitialised.
  static Tensor empty(const Shape& shape, DType dtype, Context ctx);
  // Wraps external memory (DLPack): strides in elements; deleter runs when the last view goes.
  static Tensor from_external(void* data, const Shape& shape, const Shape& strides, DType dtype, Context ctx,
                              std::function<void()> deleter);

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  int ndim() const { return static_cast<int>(impl_->shape.size()); }
  int64_t dim(int i) const { return impl_->shape[i]; }
  int64_t numel() const { return shape_numel(impl_->shape); }
  DType dtype() const { return impl_->dtype; }
  Context ctx() const { return impl_->ctx; }
  Var* var() const { return impl_->var.get(); }
  const VarPtr& var_ptr() const { return impl_->var; }
  bool is_contiguous() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  // Address of the first element. Only valid inside an engine operation that holds this array's variable,
  // or after waiting for it.
  void* raw_data() const;
  template <typename T>
  T* data() const {
    return static_cast<T*>(raw_data());
  }

  // The same array (storage, variable, layout) without autograd state: what a recorded op saves.
  Tensor detached() const;

  // Views: share storage and variable. Errors name the calling operation.
  Tensor view(const Shape& shape, const Shape& strides, int64_t offset) const;
  Tensor reshape_view(const Shape& shape) const;  // requires a contiguous array
  Tensor transpose_view(const std::vector<int>& axes) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

}  // namespace braid
