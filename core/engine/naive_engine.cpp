// Runs every op synchronously in the calling thread. Errors are stored on the written variables like in the
// threaded engine, and also raised at once, so a debugger stops at the line that pushed the failing op.
#include "engine/engine_impl.h"

namespace braid {

class NaiveEngine final : public EngineBase {
 public:
  void push(AsyncFn fn, Context ctx, std::vector<VarPtr> reads, std::vector<VarPtr> writes, const char* name,
            bool) override {
    OprBlock op;
    op.fn = std::move(fn);
    op.ctx = ctx;
    op.name = name;
    op.reads = std::move(reads);
    op.writes = std::move(writes);
    std::lock_guard<std::recursive_mutex> lk(mu_);  // ops from several Python threads still run one at a time
    if (execute(&op) && !op.writes.empty())
      raise_if_error(op.writes.front());
  }
  void wait_for_var(const VarPtr& var) override {
    std::lock_guard<std::recursive_mutex> lk(mu_);  // an op pushed from another thread may be writing var
    raise_if_error(var);
  }
  void wait_all() override { raise_first_unreported(); }
  const char* type_name() const override { return "NaiveEngine"; }
  int64_t num_pending() const override { return 0; }

 private:
  std::recursive_mutex mu_;
};

Engine* make_naive_engine() {
  return new NaiveEngine();
}

}  // namespace braid
