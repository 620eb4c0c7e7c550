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
  std::vector<VarPtr> reads;   // as pushed: also used to carry errors forward
  std::vector<VarPtr> writes;
  std::atomic<int> wait{0};    // grants still missing (+1 while the push is registering)
  bool run_inline = false;     // tiny bookkeeping ops (sync points) run in whichever thread grants them
};

// Error bookkeeping common to both engines.
class EngineBase : public Engine {
 protected:
  // Runs the op's function, or skips it when an input carries an error; records errors on the written vars.
  // Returns the error the op itself raised (not one inherited from an input), or null.
  AsyncErrorPtr execute(OprBlock* op);
  // Throws the var's error (and marks it reported).
  void raise_if_error(const VarPtr& var);
  void raise_first_unreported();

 private:
  void record_error(OprBlock* op, const AsyncErrorPtr& err, bool fresh);
  std::mutex errors_mu_;
  std::vector<AsyncErrorPtr> unreported_;  // errors no sync point has raised yet
};

Engine* make_threaded_engine();
Engine* make_naive_engine();

}  // namespace braid
