// The default engine: a pool of worker threads per device context, fed by per-variable FIFOs.
//
// Push registers the op on each variable it touches. A variable grants reads while no write is running or
// queued ahead of them, and grants a write once every earlier op on it has finished. When the op holds all its
// grants it goes to its device's ready queue. On completion it releases its variables, which hands grants to the
// ops queued behind it. The number of unfinished ops is bounded (BRAID_ENGINE_MAX_PENDING) so a fast producer
// blocks instead of queueing without limit.
#include <pthread.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <thread>

#include "engine/engine_impl.h"

namespace braid {

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  int x = std::atoi(v);
  return x > 0 ? x : fallback;
}

}  // namespace

class ThreadedEngine final : public EngineBase {
 public:
  ThreadedEngine()
      : max_pending_(env_int("BRAID_ENGINE_MAX_PENDING", 8192)),
        cpu_workers_(env_int("BRAID_CPU_WORKER_NTHREADS", 1)) {}

  void push(AsyncFn fn, Context ctx, const std::vector<VarPtr>& reads, const std::vector<VarPtr>& writes,
            const char* name) override {
    push_op(std::move(fn), ctx, reads, writes, name, false);
  }

  void push_op(AsyncFn fn, Context ctx, const std::vector<VarPtr>& reads, const std::vector<VarPtr>& writes,
               const char* name, bool run_inline) {
    throttle();
    auto* op = new OprBlock();
    op->run_inline = run_inline;
    op->fn = std::move(fn);
    op->ctx = ctx;
    op->name = name;
    op->reads = reads;
    op->writes = writes;
    pending_.fetch_add(1, std::memory_order_relaxed);
    Pool& pool = pool_for(ctx);  // created before any grant can dispatch the op

    int deps = 0;
    for (const VarPtr& r : reads) {
      if (!contains(writes, r)) ++deps;
    }
    deps += static_cast<int>(writes.size());
    op->wait.store(deps + 1, std::memory_order_relaxed);

    int granted = 0;
    for (const VarPtr& r : reads) {
      if (!contains(writes, r) && append(r.get(), op, false)) ++granted;
    }
    for (const VarPtr& w : writes) {
      if (append(w.get(), op, true)) ++granted;
    }
    if (op->wait.fetch_sub(granted + 1, std::memory_order_acq_rel) == granted + 1) dispatch(pool, op);
  }

  void wait_for_var(const VarPtr& var) override {
    bool busy;
    {
      std::lock_guard<std::mutex> lk(var->mu_);
      busy = var->pending_writes_ > 0;
    }
    if (busy) {
      // A no-op reader of var: it runs only after every write pushed so far.
      std::mutex m;
      std::condition_variable cv;
      bool done = false;
      push_op(
          [&](const RunContext&) {
            std::lock_guard<std::mutex> lk(m);
            done = true;
            cv.notify_one();
          },
          Context::cpu(), {var}, {}, "wait_to_read", true);
      std::unique_lock<std::mutex> lk(m);
      cv.wait(lk, [&] { return done; });
    }
    raise_if_error(var);
  }

  void wait_all() override {
    {
      std::unique_lock<std::mutex> lk(done_mu_);
      waiters_++;
      done_cv_.wait(lk, [&] { return pending_.load(std::memory_order_acquire) == 0; });
      waiters_--;
    }
    raise_first_unreported();
  }

  const char* type_name() const override { return "ThreadedEngine"; }
  int64_t num_pending() const override { return pending_.load(std::memory_order_relaxed); }

 private:
  struct Pool {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<OprBlock*> ready;
    int sleeping = 0;
  };

  static bool contains(const std::vector<VarPtr>& vs, const VarPtr& v) {
    for (const VarPtr& x : vs) {
      if (x == v) return true;
    }
    return false;
  }

  // Queues op on v; returns true when the grant is immediate.
  bool append(Var* v, OprBlock* op, bool write) {
    std::lock_guard<std::mutex> lk(v->mu_);
    if (write) v->pending_writes_++;
    bool free_now = v->head_ == nullptr && !v->writer_running_ && (!write || v->running_readers_ == 0);
    if (free_now) {
      if (write) {
        v->writer_running_ = true;
      } else {
        v->running_readers_++;
      }
      return true;
    }
    auto* w = new Var::Waiter{op, write, nullptr};
    if (v->tail_) {
      v->tail_->next = w;
    } else {
      v->head_ = w;
    }
    v->tail_ = w;
    return false;
  }

  // Releases op's hold on v and collects the ops that now hold their grant on v.
  void release(Var* v, bool write, std::vector<OprBlock*>* granted) {
    std::lock_guard<std::mutex> lk(v->mu_);
    if (write) {
      v->writer_running_ = false;
      v->pending_writes_--;
    } else {
      v->running_readers_--;
    }
    while (v->head_ && !v->writer_running_) {
      Var::Waiter* w = v->head_;
      if (w->write && v->running_readers_ > 0) break;
      v->head_ = w->next;
      if (!v->head_) v->tail_ = nullptr;
      if (w->write) {
        v->writer_running_ = true;
      } else {
        v->running_readers_++;
      }
      granted->push_back(w->op);
      delete w;
      if (v->writer_running_) break;
    }
  }

  void finish(OprBlock* op) {
    std::vector<OprBlock*> granted;
    for (const VarPtr& r : op->reads) {
      if (!contains(op->writes, r)) release(r.get(), false, &granted);
    }
    for (const VarPtr& w : op->writes) release(w.get(), true, &granted);
    for (OprBlock* g : granted) {
      if (g->wait.fetch_sub(1, std::memory_order_acq_rel) == 1) dispatch(pool_for(g->ctx), g);
    }
    delete op;  // drops the op's references to arrays: their memory returns to the pool here
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) <= max_pending_ / 2 + 1) {
      std::lock_guard<std::mutex> lk(done_mu_);
      if (waiters_) done_cv_.notify_all();
    }
  }

  void dispatch(Pool& pool, OprBlock* op) {
    if (op->run_inline) {
      execute(op);
      finish(op);
      return;
    }
    bool wake;
    {
      std::lock_guard<std::mutex> lk(pool.mu);
      pool.ready.push_back(op);
      wake = pool.sleeping > 0;
    }
    if (wake) pool.cv.notify_one();
  }

  void worker_loop(Pool* pool) {
    for (;;) {
      OprBlock* op;
      {
        std::unique_lock<std::mutex> lk(pool->mu);
        while (pool->ready.empty()) {
          pool->sleeping++;
          pool->cv.wait(lk);
          pool->sleeping--;
        }
        op = pool->ready.front();
        pool->ready.pop_front();
      }
      execute(op);
      finish(op);
    }
  }

  Pool& pool_for(Context ctx) {
    int t = ctx.type == DeviceType::kCPU ? 0 : 1;
    int id = std::min(std::max(ctx.id, 0), kMaxDevicesPerType - 1);
    Pool* p = pools_[t][id].load(std::memory_order_acquire);
    if (p) return *p;
    std::lock_guard<std::mutex> lk(pools_mu_);
    p = pools_[t][id].load(std::memory_order_relaxed);
    if (!p) {
      p = new Pool();
      int n = ctx.type == DeviceType::kCPU ? cpu_workers_ : 1;
      for (int i = 0; i < n; ++i) std::thread(&ThreadedEngine::worker_loop, this, p).detach();
      pools_[t][id].store(p, std::memory_order_release);
    }
    return *p;
  }

  // Blocks the pushing thread while too many ops are unfinished.
  void throttle() {
    if (pending_.load(std::memory_order_relaxed) < max_pending_) return;
    std::unique_lock<std::mutex> lk(done_mu_);
    waiters_++;
    done_cv_.wait(lk, [&] { return pending_.load(std::memory_order_acquire) < max_pending_ / 2 + 1; });
    waiters_--;
  }

  const int64_t max_pending_;
  const int cpu_workers_;
  std::atomic<int64_t> pending_{0};
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  int waiters_ = 0;  // guarded by done_mu_
  std::mutex pools_mu_;
  std::atomic<Pool*> pools_[2][kMaxDevicesPerType] = {};
};

Engine* make_threaded_engine() { return new ThreadedEngine(); }

}  // namespace braid
