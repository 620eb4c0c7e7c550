#include "autograd/mode.h"

namespace braid {

namespace {
thread_local bool g_recording = false;
thread_local bool g_training = false;
}  // namespace

bool is_recording() {
  return g_recording;
}
bool is_training() {
  return g_training;
}

bool set_recording(bool on) {
  bool old = g_recording;
  g_recording = on;
  return old;
}

bool set_training(bool on) {
  bool old = g_training;
  g_training = on;
  return old;
}

}  // namespace braid
