// Ordering under randomized concurrent pushes. Several threads push ops on random subsets of a few variables
// (reads, writes, in-place updates) on random CPU contexts; each op logs what it saw and did into per-variable
// state that is plain, unsynchronised data: only the engine's ordering keeps it race-free (ThreadSanitizer
// checks that in the TSAN build) and atomic occupancy counters catch overlapping writers in other builds.
#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <thread>

#include "engine_test_util.h"

using namespace enginetest;

namespace {

constexpr int kVars = 10;
constexpr int kThreads = 4;
constexpr int kOpsPerThread = 1500;

struct VarState {
  int64_t last_writer = -1;     // id of the last write that ran
  std::vector<int64_t> writes;  // ids of the writes that ran, in execution order
  std::atomic<int> readers{0};  // ops inside that read the var / write it
  std::atomic<int> writers{0};
};

struct OpRecord {
  std::vector<int> reads;   // pure reads
  std::vector<int> writes;  // writes; those also in `inplace` read the old value first
  std::vector<int> inplace;
  std::vector<int64_t> seen;        // per entry of reads then inplace: the last writer observed
  std::vector<int64_t> seen_count;  // ... and how many writes had run on that var
  std::vector<int64_t> write_pos;   // per entry of writes: its position in the var's write log
  bool ran = false;
};

struct World {
  VarState vars[kVars];
  std::vector<VarPtr> handles;
  std::vector<OpRecord> ops;
  std::atomic<int> overlaps{0};
  explicit World(size_t n) : ops(n) {
    for (int i = 0; i < kVars; ++i)
      handles.push_back(Engine::get().new_var());
  }
};

bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Picks 1..3 distinct vars, each read, written or updated in place, in random order (so two ops may register
// the same vars in opposite orders).
void random_op(std::mt19937& rng, OpRecord* op) {
  std::vector<int> all(kVars);
  for (int i = 0; i < kVars; ++i)
    all[i] = i;
  std::shuffle(all.begin(), all.end(), rng);
  int n = 1 + static_cast<int>(rng() % 3);
  for (int k = 0; k < n; ++k) {
    unsigned r = rng() % 20;
    if (r < 10) {
      op->reads.push_back(all[k]);
    } else {
      op->writes.push_back(all[k]);
      if (r >= 17)
        op->inplace.push_back(all[k]);
    }
  }
}

void spin(unsigned n) {
  for (unsigned i = 0; i < n; ++i) {
    if (i % 64 == 63)
      std::this_thread::yield();
  }
}

// The op body: checks occupancy, records what it reads, appends its id to the logs of what it writes.
void run_op(World* w, int64_t id, unsigned work) {
  OpRecord& op = w->ops[id];
  for (int r : op.reads) {
    w->vars[r].readers++;
    if (w->vars[r].writers.load() != 0)
      w->overlaps++;
  }
  for (int x : op.writes) {
    if (w->vars[x].writers.fetch_add(1) != 0 || w->vars[x].readers.load() != 0)
      w->overlaps++;
  }
  spin(work);
  for (int r : op.reads) {
    op.seen.push_back(w->vars[r].last_writer);
    op.seen_count.push_back(static_cast<int64_t>(w->vars[r].writes.size()));
  }
  for (int r : op.inplace) {
    op.seen.push_back(w->vars[r].last_writer);
    op.seen_count.push_back(static_cast<int64_t>(w->vars[r].writes.size()));
  }
  for (int x : op.writes) {
    op.write_pos.push_back(static_cast<int64_t>(w->vars[x].writes.size()));
    w->vars[x].writes.push_back(id);
    w->vars[x].last_writer = id;
  }
  spin(work);
  for (int r : op.reads)
    w->vars[r].readers--;
  for (int x : op.writes)
    w->vars[x].writers--;
  op.ran = true;
}

void push_op(World* w, int64_t id, std::mt19937& rng) {
  OpRecord& op = w->ops[id];
  std::vector<VarPtr> reads, writes;
  for (int r : op.reads)
    reads.push_back(w->handles[r]);
  for (int r : op.inplace)
    reads.push_back(w->handles[r]);  // in both lists: an in-place update
  for (int x : op.writes)
    writes.push_back(w->handles[x]);
  unsigned work = rng() % 4 == 0 ? rng() % 2000 : 0;
  Context ctx = Context::cpu(static_cast<int>(rng() % 3));
  bool tiny = work == 0 && rng() % 2 == 0;  // may run in the pushing thread when its vars are free
  Engine::get().push([w, id, work](const RunContext&) { run_op(w, id, work); }, ctx, reads, writes, "order_op", tiny);
}

// Every op ran, and no two ops that conflict on a variable overlapped.
void check_all_ran(World& w) {
  CHECK_EQ(w.overlaps.load(), 0);
  for (size_t i = 0; i < w.ops.size(); ++i) {
    if (!w.ops[i].ran) {
      harness::report(__FILE__, __LINE__, "op " + std::to_string(i) + " never ran");
      return;
    }
  }
}

}  // namespace

// Threads push concurrently, but each push takes a ticket under a lock, so the global push order is known:
// writes must run in exactly that order (WAW) and each read must see exactly the writes pushed before it
// (RAW) and none pushed after (WAR).
TEST(random_pushes_follow_push_order) {
  World w(kThreads * kOpsPerThread);
  std::mutex ticket_mu;
  int64_t next_id = 0;
  std::vector<std::thread> pushers;
  for (int t = 0; t < kThreads; ++t) {
    pushers.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      for (int i = 0; i < kOpsPerThread; ++i) {
        std::lock_guard<std::mutex> lk(ticket_mu);
        int64_t id = next_id++;
        random_op(rng, &w.ops[id]);
        push_op(&w, id, rng);
      }
    });
  }
  for (auto& p : pushers)
    p.join();
  Engine::get().wait_all();
  check_all_ran(w);

  int bad = 0;
  for (int k = 0; k < kVars; ++k) {
    std::vector<int64_t> expected;
    for (size_t i = 0; i < w.ops.size(); ++i) {
      if (contains(w.ops[i].writes, k))
        expected.push_back(static_cast<int64_t>(i));
    }
    CHECK(w.vars[k].writes == expected);
  }
  std::vector<int64_t> last_write(kVars, -1);  // per var: the last write pushed before op i
  for (size_t i = 0; i < w.ops.size() && bad < 5; ++i) {
    const OpRecord& op = w.ops[i];
    std::vector<int> read_vars = op.reads;
    read_vars.insert(read_vars.end(), op.inplace.begin(), op.inplace.end());
    for (size_t j = 0; j < read_vars.size(); ++j) {
      int64_t want = last_write[read_vars[j]];
      if (op.seen[j] != want) {
        ++bad;
        harness::report(__FILE__, __LINE__,
                        "op " + std::to_string(i) + " read var " + std::to_string(read_vars[j]) + " written by op " +
                            std::to_string(op.seen[j]) + ", expected op " + std::to_string(want));
      }
    }
    for (int x : op.writes)
      last_write[x] = static_cast<int64_t>(i);
  }
}

namespace {

// Kahn's algorithm: false when the graph has a cycle.
bool acyclic(const std::vector<std::vector<int64_t>>& out) {
  std::vector<int> indeg(out.size(), 0);
  for (const auto& es : out) {
    for (int64_t e : es)
      indeg[e]++;
  }
  std::vector<int64_t> ready;
  for (size_t i = 0; i < out.size(); ++i) {
    if (indeg[i] == 0)
      ready.push_back(static_cast<int64_t>(i));
  }
  size_t visited = 0;
  while (!ready.empty()) {
    int64_t n = ready.back();
    ready.pop_back();
    ++visited;
    for (int64_t e : out[n]) {
      if (--indeg[e] == 0)
        ready.push_back(e);
    }
  }
  return visited == out.size();
}

}  // namespace

// Free-running pushers: the interleaving of pushes from different threads is up to the scheduler, so the test
// checks what must hold for any interleaving: the execution order on every variable, together with each
// thread's own push order, is consistent with one global push order (the ordering graph is acyclic), and
// each read saw the write it counted.
TEST(concurrent_pushes_are_serializable) {
  World w(kThreads * kOpsPerThread);
  std::vector<std::thread> pushers;
  for (int t = 0; t < kThreads; ++t) {
    pushers.emplace_back([&, t] {
      std::mt19937 rng(99 + t);
      for (int i = 0; i < kOpsPerThread; ++i) {
        int64_t id = static_cast<int64_t>(t) * kOpsPerThread + i;
        random_op(rng, &w.ops[id]);
        push_op(&w, id, rng);
      }
    });
  }
  for (auto& p : pushers)
    p.join();
  Engine::get().wait_all();
  check_all_ran(w);

  std::vector<std::vector<int64_t>> edges(w.ops.size());
  for (int t = 0; t < kThreads; ++t) {  // each thread's push order
    for (int i = 0; i + 1 < kOpsPerThread; ++i) {
      int64_t id = static_cast<int64_t>(t) * kOpsPerThread + i;
      edges[id].push_back(id + 1);
    }
  }
  for (int k = 0; k < kVars; ++k) {  // writes in execution order
    const auto& log = w.vars[k].writes;
    for (size_t j = 0; j + 1 < log.size(); ++j)
      edges[log[j]].push_back(log[j + 1]);
  }
  int bad = 0;
  for (size_t i = 0; i < w.ops.size(); ++i) {  // each read between the write it saw and the next one
    const OpRecord& op = w.ops[i];
    std::vector<int> read_vars = op.reads;
    read_vars.insert(read_vars.end(), op.inplace.begin(), op.inplace.end());
    for (size_t j = 0; j < read_vars.size(); ++j) {
      const auto& log = w.vars[read_vars[j]].writes;
      int64_t c = op.seen_count[j];
      bool in_place = contains(op.inplace, read_vars[j]);
      int64_t expect_seen = c > 0 ? log[c - 1] : -1;
      if (op.seen[j] != expect_seen && bad++ < 5) {
        harness::report(__FILE__, __LINE__, "op " + std::to_string(i) + " saw a value that is not the last write");
      }
      if (c > 0)
        edges[log[c - 1]].push_back(static_cast<int64_t>(i));
      // An in-place op is itself write c; a pure read must precede write c.
      if (!in_place && c < static_cast<int64_t>(log.size()))
        edges[i].push_back(log[c]);
      if (in_place && (c >= static_cast<int64_t>(log.size()) || log[c] != static_cast<int64_t>(i)) && bad++ < 5) {
        harness::report(__FILE__, __LINE__, "in-place op " + std::to_string(i) + " did not write right after its read");
      }
    }
  }
  CHECK(acyclic(edges));
}

// Two threads push ops touching the same two variables listed in opposite orders. Registering an op var by var
// without a global order lets each op hold one variable while queued on the other: a deadlock (the watchdog
// then aborts the test).
TEST(crossed_variable_order_does_not_deadlock) {
  VarPtr a = Engine::get().new_var(), b = Engine::get().new_var();
  int64_t counter_a = 0, counter_b = 0;  // plain data: written only by ops holding both vars
  constexpr int kOps = 5000;
  std::thread t1([&] {
    for (int i = 0; i < kOps; ++i)
      push([&](const RunContext&) { counter_a++, counter_b++; }, {}, {a, b}, "ab");
  });
  std::thread t2([&] {
    for (int i = 0; i < kOps; ++i) {
      Context ctx = Context::cpu(1);
      Engine::get().push([&](const RunContext&) { counter_a += counter_b > -1; }, ctx, {b}, {a}, "ba_read_b");
      Engine::get().push([&](const RunContext&) { counter_b++, counter_a++; }, ctx, {}, {b, a}, "ba");
    }
  });
  t1.join();
  t2.join();
  Engine::get().wait_all();
  CHECK_EQ(counter_a, 3 * kOps);
  CHECK_EQ(counter_b, 2 * kOps);
}

// Repeating a variable in an op's reads (x + x) or writes must not make the op wait for itself.
TEST(repeated_variables_in_one_op) {
  VarPtr x = Engine::get().new_var(), y = Engine::get().new_var();
  int value = 0, out = 0;
  push([&](const RunContext&) { value = 21; }, {}, {x}, "init");
  push([&](const RunContext&) { out = value + value; }, {x, x}, {y}, "x_plus_x");
  push([&](const RunContext&) { out += 1; }, {y, y}, {y, y}, "twice_in_place");
  Engine::get().wait_for_var(y);
  CHECK_EQ(out, 43);
}
