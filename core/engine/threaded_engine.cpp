// The default engine: a pool of worker threads per device context, fed by per-variable FIFOs.
//
// Push registers the op on each variable it touches. A variable grants reads while no write is running or
// queued ahead of them, and grants a write once every earlier op on it has finished. When the op holds all its
// grants it goes to its device's ready queue. On completion it releases its variables, which hands grants to the
// ops queued behind it. The number of unfinished ops is bounded (BRAID_ENGINE_MAX_PENDING) so a fast producer
// blocks instead of queueing without limit.
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <thread>

#include "backends/cpu/parallel.h"
#include "engine/engine_impl.h"

namespace braid {

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v)
    return fallback;
  int x = std::atoi(v);
  return x > 0 ? x : fallback;
}

// "0" disables, anything else (or unset) enables.
bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return !(v && v[0] == '0' && v[1] == 0);
}

}  // namespace

class ThreadedEngine final : public EngineBase {
 public:
  ThreadedEngine()
      : max_pending_(env_int("BRAID_ENGINE_MAX_PENDING", 256)),
        cpu_workers_(env_int("BRAID_CPU_WORKER_NTHREADS", 1)),
        spin_us_(env_int("BRAID_ENGINE_SPIN_US", 50)),
        inline_tiny_(env_flag("BRAID_ENGINE_INLINE_TINY")) {}

  void push(AsyncFn fn, Context ctx, std::vector<VarPtr> reads, std::vector<VarPtr> writes, const char* name,
            bool tiny) override {
    push_op(std::move(fn), ctx, std::move(reads), std::move(writes), name, false, tiny && inline_tiny_);
  }

  void push_op(AsyncFn fn, Context ctx, std::vector<VarPtr> reads, std::vector<VarPtr> writes, const char* name,
               bool run_inline, bool tiny = false) {
    reserve_slot();
    auto* op = new OprBlock();
    op->run_inline = run_inline;
    op->no_skip = run_inline;  // only sync points are pushed with run_inline
    op->fn = std::move(fn);
    op->ctx = ctx;
    op->name = name;
    op->reads = std::move(reads);
    op->writes = std::move(writes);
    drop_repeats(&op->reads);
    drop_repeats(&op->writes);
    Pool& pool = pool_for(ctx);  // created before any grant can dispatch the op

    int deps = 0;
    for (const VarPtr& r : op->reads) {
      if (!contains(op->writes, r))
        ++deps;
    }
    deps += static_cast<int>(op->writes.size());
    op->wait.store(deps + 1, std::memory_order_relaxed);

    int granted = 0;
    {
      // One op registers on all its variables before the next push registers on any: registering var by var,
      // two ops listing the same vars in opposite orders could each get one grant and queue for the other.
      std::lock_guard<std::mutex> lk(register_mu_);
      for (const VarPtr& r : op->reads) {
        if (!contains(op->writes, r) && append(r.get(), op, false))
          ++granted;
      }
      for (const VarPtr& w : op->writes) {
        if (append(w.get(), op, true))
          ++granted;
      }
    }
    if (op->wait.fetch_sub(granted + 1, std::memory_order_acq_rel) == granted + 1) {
      // All grants at push time: a tiny op runs here when the workers are idle, saving the hand-off.
      if (tiny && pool.num_ready.load(std::memory_order_relaxed) == 0)
        op->run_inline = true;
      dispatch(pool, op);
    }
  }

  void wait_for_var(const VarPtr& var) override {
    // The error is read while no write of var can run: writes pushed later (by other threads) may start as
    // soon as the sync op below finishes, and would race with reading var->error_ afterwards.
    AsyncErrorPtr err;
    bool busy;
    {
      std::lock_guard<std::mutex> lk(var->mu_);
      busy = var->pending_writes_ > 0;
      if (!busy)
        err = var->error_;  // no write is granted or queued, and none can start while we hold mu_
    }
    if (busy) {
      // A reader of var: it runs only after every write pushed so far.
      std::mutex m;
      std::condition_variable cv;
      bool done = false;
      push_op(
          [&](const RunContext&) {
            std::lock_guard<std::mutex> lk(m);
            err = var->error_;  // under the read grant
            done = true;
            cv.notify_one();
          },
          Context::cpu(), {var}, {}, "wait_to_read", true);
      std::unique_lock<std::mutex> lk(m);
      cv.wait(lk, [&] { return done; });
    }
    raise_if_error(err);
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
    std::atomic<int64_t> num_ready{0};  // ready.size(), readable without the lock while spinning
  };

  // A var listed twice (x + x, or two output views of one array) would make the op queue behind itself.
  static void drop_repeats(std::vector<VarPtr>* vs) {
    for (size_t i = 1; i < vs->size(); ++i) {
      if (std::find(vs->begin(), vs->begin() + i, (*vs)[i]) != vs->begin() + i)
        vs->erase(vs->begin() + i--);
    }
  }

  static bool contains(const std::vector<VarPtr>& vs, const VarPtr& v) {
    for (const VarPtr& x : vs) {
      if (x == v)
        return true;
    }
    return false;
  }

  // Queues op on v; returns true when the grant is immediate.
  bool append(Var* v, OprBlock* op, bool write) {
    std::lock_guard<std::mutex> lk(v->mu_);
    if (write)
      v->pending_writes_++;
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
      if (w->write && v->running_readers_ > 0)
        break;
      v->head_ = w->next;
      if (!v->head_)
        v->tail_ = nullptr;
      if (w->write) {
        v->writer_running_ = true;
      } else {
        v->running_readers_++;
      }
      granted->push_back(w->op);
      delete w;
      if (v->writer_running_)
        break;
    }
  }

  void finish(OprBlock* op) {
    std::vector<OprBlock*> granted;
    for (const VarPtr& r : op->reads) {
      if (!contains(op->writes, r))
        release(r.get(), false, &granted);
    }
    for (const VarPtr& w : op->writes)
      release(w.get(), true, &granted);
    for (OprBlock* g : granted) {
      if (g->wait.fetch_sub(1, std::memory_order_acq_rel) == 1)
        dispatch(pool_for(g->ctx), g);
    }
    delete op;  // drops the op's references to arrays: their memory returns to the pool here
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) <= max_pending_ / 2 + 1) {
      std::lock_guard<std::mutex> lk(done_mu_);
      if (waiters_)
        done_cv_.notify_all();
    }
  }

  void dispatch(Pool& pool, OprBlock* op) {
    if (op->run_inline) {
      {
        SerialScope serial;
        execute(op);
      }
      finish(op);
      return;
    }
    bool wake;
    {
      std::lock_guard<std::mutex> lk(pool.mu);
      pool.ready.push_back(op);
      pool.num_ready.fetch_add(1, std::memory_order_release);
      wake = pool.sleeping > 0;
    }
    if (wake)
      pool.cv.notify_one();
  }

  // Waits briefly for new work before sleeping. Eager code pushes small ops back to back: a worker that went
  // to sleep after each one would cost the pushing thread a futex wake-up (several microseconds) per op.
  void spin_for_work(Pool* pool) {
    if (spin_us_ <= 0)
      return;
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us_);
    for (int i = 1;; ++i) {
      if (pool->num_ready.load(std::memory_order_acquire) > 0)
        return;
      cpu_relax();
      if ((i & 63) == 0 && std::chrono::steady_clock::now() > until)
        return;
    }
  }

  static void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  void worker_loop(Pool* pool) {
    for (;;) {
      if (pool->num_ready.load(std::memory_order_acquire) == 0)
        spin_for_work(pool);
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
        pool->num_ready.fetch_sub(1, std::memory_order_relaxed);
      }
      execute(op);
      finish(op);
    }
  }

  Pool& pool_for(Context ctx) {
    int t = ctx.type == DeviceType::kCPU ? 0 : 1;
    int id = std::min(std::max(ctx.id, 0), kMaxDevicesPerType - 1);
    Pool* p = pools_[t][id].load(std::memory_order_acquire);
    if (p)
      return *p;
    std::lock_guard<std::mutex> lk(pools_mu_);
    p = pools_[t][id].load(std::memory_order_relaxed);
    if (!p) {
      p = new Pool();
      int n = ctx.type == DeviceType::kCPU ? cpu_workers_ : 1;
      for (int i = 0; i < n; ++i)
        std::thread(&ThreadedEngine::worker_loop, this, p).detach();
      pools_[t][id].store(p, std::memory_order_release);
    }
    return *p;
  }

  // Counts a new op as pending, blocking the pushing thread while max_pending_ ops are unfinished. Check and
  // increment are one atomic step, so concurrent producers cannot all pass the check and overshoot the bound.
  void reserve_slot() {
    int64_t n = pending_.load(std::memory_order_relaxed);
    for (;;) {
      while (n < max_pending_) {
        if (pending_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed))
          return;
      }
      std::unique_lock<std::mutex> lk(done_mu_);
      waiters_++;
      done_cv_.wait(lk, [&] { return pending_.load(std::memory_order_acquire) < max_pending_ / 2 + 1; });
      waiters_--;
      n = pending_.load(std::memory_order_relaxed);
    }
  }

  const int64_t max_pending_;
  const int cpu_workers_;
  const int spin_us_;       // how long an idle worker polls for work before sleeping
  const bool inline_tiny_;  // BRAID_ENGINE_INLINE_TINY=0 sends every op to the workers
  std::atomic<int64_t> pending_{0};
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  int waiters_ = 0;  // guarded by done_mu_
  std::mutex pools_mu_;
  std::mutex register_mu_;  // see push_op
  std::atomic<Pool*> pools_[2][kMaxDevicesPerType] = {};
};

Engine* make_threaded_engine() {
  return new ThreadedEngine();
}

}  // namespace braid
