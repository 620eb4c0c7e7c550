// The dependency engine. Every operation is pushed with the variables it reads and the variables it writes;
// the engine runs it once its dependencies allow: reads after the last earlier write, writes after every
// earlier read and write, readers of one variable in parallel. Two implementations share this interface:
// the threaded engine (workers per device, the default) and the naive engine (runs each op at once in the
// calling thread; BRAID_ENGINE_TYPE=NaiveEngine, for debugging).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/context.h"
#include "base/error.h"

namespace braid {

// An error raised inside an asynchronous op, kept on the variables it should have written.
struct AsyncError {
  ErrorKind kind;
  std::string message;  // already names the op
};
using AsyncErrorPtr = std::shared_ptr<const AsyncError>;

struct OprBlock;

// Per-variable FIFO of operations. Fields are guarded by mu; error is written only by the op that holds the
// write grant and read by ops that hold a grant, so the grant hand-off (under mu) orders those accesses.
class Var {
 public:
  Var() = default;
  Var(const Var&) = delete;
  Var& operator=(const Var&) = delete;
  ~Var();

  AsyncErrorPtr error() const { return error_; }

 private:
  friend class ThreadedEngine;
  friend class NaiveEngine;
  friend class EngineBase;
  struct Waiter {
    OprBlock* op;
    bool write;
    Waiter* next;
  };
  std::mutex mu_;
  Waiter* head_ = nullptr;  // operations waiting for a grant, in push order
  Waiter* tail_ = nullptr;
  int pending_writes_ = 0;  // writes pushed but not finished (granted or waiting)
  int running_readers_ = 0;
  bool writer_running_ = false;
  AsyncErrorPtr error_;
};
using VarPtr = std::shared_ptr<Var>;

struct RunContext {
  Context ctx;
};
using AsyncFn = std::function<void(const RunContext&)>;

class Engine {
 public:
  virtual ~Engine() = default;
  // The process-wide engine, chosen by BRAID_ENGINE_TYPE on first use.
  static Engine& get();

  VarPtr new_var() { return std::make_shared<Var>(); }
  // Schedules fn on ctx's workers. A variable may appear in both lists (an in-place update): it is then a write
  // whose earlier error, if any, carries over. name must outlive the op (registry names do).
  //
  // tiny marks an op that costs less than handing it to another thread (a few microseconds). When its
  // variables are free and the device's workers have nothing queued, the threaded engine runs it in the
  // calling thread instead; the ordering and error rules are the same either way.
  virtual void push(AsyncFn fn, Context ctx, std::vector<VarPtr> reads, std::vector<VarPtr> writes, const char* name,
                    bool tiny = false) = 0;
  // Blocks until every write pushed so far to var has finished; throws the error stored on var, if any.
  virtual void wait_for_var(const VarPtr& var) = 0;
  // Blocks until all pushed operations have finished; throws the first error not yet reported, once.
  virtual void wait_all() = 0;
  virtual const char* type_name() const = 0;
  // Operations pushed and not yet finished.
  virtual int64_t num_pending() const = 0;
};

}  // namespace braid
