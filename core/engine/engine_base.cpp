#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "engine/engine_impl.h"

namespace braid {

Var::~Var() {
  // Nodes are freed as grants are handed out; a var destroyed with waiters would be an engine bug.
  for (Waiter* w = head_; w;) {
    Waiter* n = w->next;
    delete w;
    w = n;
  }
}

AsyncErrorPtr EngineBase::execute(OprBlock* op) {
  AsyncErrorPtr inherited;
  for (const VarPtr& v : op->reads) {
    if (v->error_) {
      inherited = v->error_;
      break;
    }
  }
  if (inherited && !op->no_skip) {
    record_error(op, inherited, false);
    return nullptr;
  }
  AsyncErrorPtr err;
  try {
    op->fn(RunContext{op->ctx});
  } catch (const Error& e) {
    err = std::make_shared<AsyncError>(AsyncError{e.kind(), e.what()});
  } catch (const std::bad_alloc&) {
    err = std::make_shared<AsyncError>(
        AsyncError{ErrorKind::kMemory, std::string(op->name) + ": out of memory while running the operator"});
  } catch (const std::exception& e) {
    err = std::make_shared<AsyncError>(AsyncError{ErrorKind::kRuntime, std::string(op->name) + ": " + e.what()});
  } catch (...) {
    err = std::make_shared<AsyncError>(
        AsyncError{ErrorKind::kRuntime, std::string(op->name) + ": unknown exception in operator"});
  }
  if (err) {
    record_error(op, err, true);
  } else {
    for (const VarPtr& v : op->writes)
      v->error_.reset();
  }
  return err;
}

void EngineBase::record_error(OprBlock* op, const AsyncErrorPtr& err, bool fresh) {
  for (const VarPtr& v : op->writes)
    v->error_ = err;
  if (fresh) {
    std::lock_guard<std::mutex> lk(errors_mu_);
    unreported_.push_back(err);
  }
}

void EngineBase::raise_if_error(const AsyncErrorPtr& err) {
  if (!err)
    return;
  {
    std::lock_guard<std::mutex> lk(errors_mu_);
    unreported_.erase(std::remove(unreported_.begin(), unreported_.end(), err), unreported_.end());
  }
  throw Error(err->kind, err->message);
}

void EngineBase::raise_first_unreported() {
  AsyncErrorPtr first;
  {
    std::lock_guard<std::mutex> lk(errors_mu_);
    if (unreported_.empty())
      return;
    first = unreported_.front();
    unreported_.clear();
  }
  throw Error(first->kind, first->message);
}

Engine& Engine::get() {
  // Never destroyed: worker threads may still release arrays while static destructors run at exit.
  static Engine* engine = [] {
    const char* t = std::getenv("BRAID_ENGINE_TYPE");
    if (t && std::strcmp(t, "NaiveEngine") == 0)
      return make_naive_engine();
    return make_threaded_engine();
  }();
  return *engine;
}

}  // namespace braid
