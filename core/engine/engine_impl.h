// Internals shared by the engine implementations (not part of the engine interface).
#pragma once
#include <condition_variable>
#include <mutex>
#include <vector>

#include "engine/engine.h"

namespace braid {

struct OprBlock {
  AsyncFn fn;
  Context ctx;
  const char* name;
  std::vector<VarPtr> reads;  // as pushed: also used to carry errors forward
  std::vector<VarPtr> writes;
  std::atomic<int> wait{0};  // grants still missing (+1 while the push is registering)
  bool run_inline = false;   // tiny bookkeeping ops (sync points) run in whichever thread grants them
  bool no_skip = false;      // sync points run even when an input carries an error, or their waiter never wakes
};

// Error bookkeeping common to both engines.
class EngineBase : public Engine {
 protected:
  // Runs the op's function, or skips it when an input carries an error; records errors on the written vars.
  // Returns the error the op itself raised (not one inherited from an input), or null.
  AsyncErrorPtr execute(OprBlock* op);
  // Throws the var's error (and marks it reported). The caller must keep writes of var from running meanwhile.
  void raise_if_error(const VarPtr& var) { raise_if_error(var->error_); }
  // Throws err, when set (and marks it reported).
  void raise_if_error(const AsyncErrorPtr& err);
  void raise_first_unreported();

 private:
  void record_error(OprBlock* op, const AsyncErrorPtr& err, bool fresh);
  std::mutex errors_mu_;
  std::vector<AsyncErrorPtr> unreported_;  // errors no sync point has raised yet
};

Engine* make_threaded_engine();
Engine* make_naive_engine();

}  // namespace braid
