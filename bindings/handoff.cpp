// handoffPut / handoffTake: a worker thread parks a tensor in a process-wide table under a
// token, posts the token, and the main thread takes the tensor out: the storage changes owner,
// no byte is copied. This is safe where moving a JS buffer is not: the memory belongs to the
// core (refcounted, freed by whichever thread drops it last through the thread-safe allocator),
// not to either JS heap, and each environment reports the bytes of the handles it holds to its
// own V8 (wrap and free do that). Only tensors without autograd history cross: a graph's nodes
// are not shared between threads.
#include <mutex>
#include <unordered_map>
#include <vector>

#include "convert.h"
#include "handoff.h"
#include "tk/autograd.h"

namespace tkjs {
namespace {

struct Parked {
  tk::Tensor tensor;
  double group;  // the sender's pool: its leftovers are dropped together when it closes
};
struct Table {
  std::mutex mu;
  std::unordered_map<double, Parked> parked;
  double next = 1;
};
// Leaked on purpose: a worker may hand off during process teardown.
Table& table() {
  static Table* t = new Table();
  return *t;
}

double token_of(const Napi::Value& v, const char* op) {
  TK_CHECK(v.IsNumber(), INVALID_ARGUMENT, op, ": expected a token number");
  return v.As<Napi::Number>().DoubleValue();
}

}  // namespace

void register_handoff(Napi::Env env, Napi::Object exports, EnvState& st) {
  // handoffPut(h, group) -> token: parks the tensor (a CPU tensor without autograd history).
  define(env, exports, st, "handoffPut", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const tk::Tensor& t = tensor_of(st, info[0], "handoffPut");
    TK_CHECK(t.device().is_cpu(), DEVICE_MISMATCH, "handoffPut: expected a CPU tensor, got ",
             tk::device_name(t.device()));
    TK_CHECK(!tk::autograd::requires_grad(t), INVALID_ARGUMENT,
             "handoffPut: a tensor that requires grad cannot change threads (detach it first)");
    TK_CHECK(info[1].IsNumber(), INVALID_ARGUMENT, "handoffPut: expected a group number");
    const double group = info[1].As<Napi::Number>().DoubleValue();
    Table& tb = table();
    std::lock_guard<std::mutex> lock(tb.mu);
    const double token = tb.next++;
    tb.parked.emplace(token, Parked{t, group});
    return Napi::Number::New(info.Env(), token);
  });
  // handoffTake(token) -> handle in this environment; the token is spent.
  define(env, exports, st, "handoffTake", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const double token = token_of(info[0], "handoffTake");
    tk::Tensor t;
    {
      Table& tb = table();
      std::lock_guard<std::mutex> lock(tb.mu);
      auto it = tb.parked.find(token);
      TK_CHECK(it != tb.parked.end(), INVALID_ARGUMENT, "handoffTake: no tensor is parked under token ", token);
      t = std::move(it->second.tensor);
      tb.parked.erase(it);
    }
    return wrap(info.Env(), st, std::move(t), 0);
  });
  // handoffDrop(token) -> whether a tensor was parked there (a batch nobody will take).
  define(env, exports, st, "handoffDrop", [](const Napi::CallbackInfo& info, EnvState&) -> Napi::Value {
    const double token = token_of(info[0], "handoffDrop");
    Parked p;  // released after the lock
    Table& tb = table();
    std::lock_guard<std::mutex> lock(tb.mu);
    auto it = tb.parked.find(token);
    if (it == tb.parked.end()) return Napi::Boolean::New(info.Env(), false);
    p = std::move(it->second);
    tb.parked.erase(it);
    return Napi::Boolean::New(info.Env(), true);
  });
  // handoffDropGroup(group) -> how many tensors of that group were still parked (now freed).
  define(env, exports, st, "handoffDropGroup", [](const Napi::CallbackInfo& info, EnvState&) -> Napi::Value {
    const double group = token_of(info[0], "handoffDropGroup");
    std::vector<Parked> freed;  // released after the lock
    Table& tb = table();
    std::lock_guard<std::mutex> lock(tb.mu);
    for (auto it = tb.parked.begin(); it != tb.parked.end();)
      if (it->second.group == group) {
        freed.push_back(std::move(it->second));
        it = tb.parked.erase(it);
      } else
        ++it;
    return Napi::Number::New(info.Env(), double(freed.size()));
  });
  // handoffCount() -> tensors parked now (tests check none are left behind).
  define(env, exports, st, "handoffCount", [](const Napi::CallbackInfo& info, EnvState&) -> Napi::Value {
    Table& tb = table();
    std::lock_guard<std::mutex> lock(tb.mu);
    return Napi::Number::New(info.Env(), double(tb.parked.size()));
  });
}

}  // namespace tkjs
