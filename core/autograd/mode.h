// Thread-local autograd modes: whether ops are recorded for backward, and whether they run in training mode
// (Dropout drops, BatchNorm uses batch statistics). Both are per thread, like MXNet's and PyTorch's.
#pragma once

namespace braid {

bool is_recording();
bool is_training();
// Return the previous value.
bool set_recording(bool on);
bool set_training(bool on);

}  // namespace braid
