#include "convert.h"

#include "errors.h"

#include <cmath>

namespace tkjs {

using tk::ErrorCode;

// ---- handle table -------------------------------------------------------------------------------

bool HandleTable::decode(double id, uint32_t& slot, uint32_t& gen) const {
  if (!(id >= 0 && id < 9007199254740992.0) || id != double(int64_t(id))) return false;
  int64_t v = int64_t(id);
  slot = uint32_t(v & ((int64_t(1) << kSlotBits) - 1));
  gen = uint32_t(v >> kSlotBits);
  return slot < slots_.size();
}

double HandleTable::add(tk::Tensor t) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    TK_CHECK(slots_.size() < (size_t(1) << kSlotBits), OUT_OF_MEMORY, "tensor: too many live tensors in one thread (",
             slots_.size(), ")");
    slot = uint32_t(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  // A view of memory the GC already knows of (a batch narrowed out of a dataset) is nothing new.
  const tk::Storage* key = t.storage().get();
  s.unwatched = key && !storages_.count(key) ? int64_t(key->nbytes()) : 0;
  unwatched_ += s.unwatched;
  s.tensor = std::move(t);
  s.reported = false;
  live_++;
  return double(slot) + double(s.gen) * kSlotSpan;
}

const tk::Tensor* HandleTable::get(double id) const {
  uint32_t slot, gen;
  if (!decode(id, slot, gen)) return nullptr;
  const Slot& s = slots_[slot];
  return s.gen == gen && s.tensor.defined() ? &s.tensor : nullptr;
}

int64_t HandleTable::remove(double id) {
  uint32_t slot, gen;
  if (!decode(id, slot, gen)) return 0;
  Slot& s = slots_[slot];
  if (s.gen != gen || !s.tensor.defined()) return 0;
  const int64_t r = s.reported ? release(s.tensor) : 0;
  unwatch(s);
  s.reported = false;
  s.tensor = tk::Tensor();
  s.gen = (s.gen + 1) & ((1u << 26) - 1);  // ids stay below 2^52, exact in a double
  free_.push_back(slot);
  live_--;
  return r;
}

int64_t HandleTable::report(double id) {
  uint32_t slot, gen;
  if (!decode(id, slot, gen)) return 0;
  Slot& s = slots_[slot];
  if (s.gen != gen || !s.tensor.defined() || s.reported) return 0;
  s.reported = true;
  unwatch(s);
  return hold(s.tensor);
}

void HandleTable::unwatch(Slot& s) {
  unwatched_ -= s.unwatched;
  s.unwatched = 0;
  unwatched_base_ = std::min(unwatched_base_, unwatched_);  // growth counts from the low point
}

int64_t HandleTable::hold(const tk::Tensor& t) {
  const tk::Storage* key = t.storage().get();
  StorageRef& r = storages_[key];
  if (r.ids++ == 0) r.reported = key ? int64_t(key->nbytes()) : 0;
  return r.ids == 1 ? r.reported : 0;
}

int64_t HandleTable::release(const tk::Tensor& t) {
  auto it = storages_.find(t.storage().get());
  if (it == storages_.end()) return 0;
  if (--it->second.ids > 0) return 0;
  const int64_t r = it->second.reported;
  storages_.erase(it);
  return r;
}

void HandleTable::clear() {
  std::vector<Slot>().swap(slots_);
  storages_.clear();
  unwatched_ = unwatched_base_ = 0;
  free_.clear();
  live_ = 0;
}

int64_t HandleTable::replace(double id, tk::Tensor t) {
  uint32_t slot, gen;
  TK_CHECK(decode(id, slot, gen) && slots_[slot].gen == gen && slots_[slot].tensor.defined(), DISPOSED,
           "setData: tensor was disposed");
  Slot& s = slots_[slot];
  if (!s.reported) {
    s.tensor = std::move(t);
    return 0;
  }
  const int64_t added = hold(t);  // first, so a tensor replaced by a view of itself stays counted
  const int64_t dropped = release(s.tensor);
  s.tensor = std::move(t);
  return added - dropped;
}

// ---- marshalling ----------------------------------------------------------------------------------

namespace {
const tk::Tensor& live(EnvState& st, double id, const char* op) {
  const tk::Tensor* t = st.handles.get(id);
  TK_CHECK(t != nullptr, DISPOSED, op, ": tensor was disposed");
  return *t;
}

// An element of an integer list option.
int64_t list_int(double d, const char* op, int64_t pos) {
  TK_CHECK(tk::is_safe_integer(d), INVALID_ARGUMENT, op, ": expected a list of integers, got ", tk::fmt_number(d),
           " at position ", pos, " (each must be ", tk::integer_requirement(d), ")");
  return int64_t(d);
}
}  // namespace

const tk::Tensor& tensor_of(EnvState& st, const Napi::Value& v, const char* op) {
  double id;
  TK_CHECK(napi_get_value_double(v.Env(), v, &id) == napi_ok, INVALID_ARGUMENT, op, ": expected a Tensor");
  return live(st, id, op);
}

tk::Tensor operand_of(EnvState& st, const Napi::Value& v, const char* op) {
  double id;
  if (napi_get_value_double(v.Env(), v, &id) == napi_ok) return live(st, id, op);  // one N-API call
  // Scalars arrive boxed as [value], since bare numbers are tensor ids.
  TK_CHECK(v.IsArray(), INVALID_ARGUMENT, op, ": expected a Tensor or a scalar operand");
  Napi::Value x = v.As<Napi::Array>().Get(uint32_t(0));
  switch (x.Type()) {
    case napi_number: {
      double d = x.As<Napi::Number>().DoubleValue();
      // JS numbers with an integral value act as Python ints (int32 tensor + 2 stays int32).
      return tk::Tensor::wrapped_scalar(d, tk::is_safe_integer(d) ? tk::DType::Int64 : tk::DType::Float64);
    }
    case napi_boolean: return tk::Tensor::wrapped_scalar(x.As<Napi::Boolean>().Value() ? 1 : 0, tk::DType::Bool);
    case napi_bigint: {
      bool lossless;
      int64_t i = x.As<Napi::BigInt>().Int64Value(&lossless);
      TK_CHECK(lossless, INVALID_ARGUMENT, op, ": bigint operand out of int64 range");
      tk::Tensor t = tk::Tensor::wrapped_scalar(0, tk::DType::Int64);
      *t.data<int64_t>() = i;
      return t;
    }
    default: tk::raise(ErrorCode::INVALID_ARGUMENT, op, ": expected a number, boolean or bigint scalar");
  }
}

namespace {
tk::Attrs attrs_from_buffer(const double* buf, int64_t items, const char* op) {
  TK_CHECK(items >= 0 && items <= kAttrBufSize, INVALID_ARGUMENT, op, ": bad encoded options");
  std::vector<tk::Attr> out(static_cast<size_t>(items));
  int64_t pos = 0;
  auto next = [&]() -> double {
    TK_CHECK(pos < kAttrBufSize, INVALID_ARGUMENT, op, ": bad encoded options");
    return buf[pos++];
  };
  for (tk::Attr& a : out) {
    switch (int(next())) {
      case 0: break;
      case 1:
        a.kind = tk::Attr::Kind::Number;
        a.number = next();
        break;
      case 2:
        a.kind = tk::Attr::Kind::Bool;
        a.boolean = next() != 0;
        break;
      case 3: {
        a.kind = tk::Attr::Kind::Ints;
        double n = next();
        TK_CHECK(n >= 0 && n <= kAttrBufSize, INVALID_ARGUMENT, op, ": bad encoded options");
        a.ints.reserve(size_t(n));
        for (int64_t j = 0; j < int64_t(n); ++j) {
          a.ints.push_back(list_int(next(), op, j));
        }
        break;
      }
      default: tk::raise(ErrorCode::INVALID_ARGUMENT, op, ": bad encoded options");
    }
  }
  return tk::Attrs(std::move(out));
}
}  // namespace

tk::Attrs attrs_of(const Napi::Value& v, const char* op, const EnvState* st) {
  napi_valuetype t = v.Type();
  if (t == napi_undefined || t == napi_null) return {};
  if (t == napi_number && st && st->attr_data)
    return attrs_from_buffer(st->attr_data, int64_t(v.As<Napi::Number>().DoubleValue()), op);
  TK_CHECK(v.IsArray(), INVALID_ARGUMENT, op, ": options must be passed as an array");
  auto arr = v.As<Napi::Array>();
  std::vector<tk::Attr> items(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value e = arr.Get(i);
    tk::Attr& a = items[i];
    switch (e.Type()) {
      case napi_undefined:
      case napi_null: break;
      case napi_number:
        a.kind = tk::Attr::Kind::Number;
        a.number = e.As<Napi::Number>().DoubleValue();
        break;
      case napi_boolean:
        a.kind = tk::Attr::Kind::Bool;
        a.boolean = e.As<Napi::Boolean>().Value();
        break;
      case napi_string:
        a.kind = tk::Attr::Kind::String;
        a.str = e.As<Napi::String>().Utf8Value();
        break;
      case napi_object: {
        TK_CHECK(e.IsArray(), INVALID_ARGUMENT, op, ": option ", i, " has an unsupported type");
        auto list = e.As<Napi::Array>();
        a.kind = tk::Attr::Kind::Ints;
        a.ints.reserve(list.Length());
        for (uint32_t j = 0; j < list.Length(); ++j) {
          Napi::Value x = list.Get(j);
          a.ints.push_back(list_int(x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : NAN, op, j));
        }
        break;
      }
      default: tk::raise(ErrorCode::INVALID_ARGUMENT, op, ": option ", i, " has an unsupported type");
    }
  }
  return tk::Attrs(std::move(items));
}

void write_meta(EnvState& st, const tk::Tensor& t, int slot) {
  double* m = st.meta_data + slot * kMetaSlot;
  m[0] = double(int(t.dtype()));
  m[1] = double(int(t.device().type));
  m[2] = double(t.device().index);
  m[3] = double(t.ndim());
  for (int i = 0; i < t.ndim(); ++i) m[4 + i] = double(t.shape()[i]);
}

Napi::Value wrap(Napi::Env env, EnvState& st, tk::Tensor t, int slot) {
  write_meta(st, t, slot);
  const double id = st.handles.add(std::move(t));
  // Tensors left unfreed pile up in a loop that never yields: past this many bytes, ask TS to hand
  // its pending tensors to the GC now (memory.ts reads the flag), not after 256 of them.
  if (st.handles.unwatched_growth() >= kUnwatchedFlushBytes) st.meta_data[kUnwatchedFlag] = 1;
  return Napi::Number::New(env, id);
}

void free_handle(EnvState& st, double id) { st.pending_external -= st.handles.remove(id); }

void flush_external(Napi::Env env, EnvState& st, bool force) {
  constexpr int64_t kThreshold = 1 << 20;
  if (st.pending_external == 0 || (!force && std::llabs(st.pending_external) < kThreshold)) return;
  int64_t result;
  if (napi_adjust_external_memory(env, st.pending_external, &result) == napi_ok) {
    st.reported_external += st.pending_external;
    st.pending_external = 0;
  }
}

void define(Napi::Env env, Napi::Object exports, EnvState& st, const char* name, Method m) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [m, &st](const Napi::CallbackInfo& info) -> Napi::Value {
                          return guard(info.Env(), st, [&] {
                            Napi::Value r = m(info, st);
                            flush_external(info.Env(), st);
                            return r;
                          });
                        },
                        name));
}

}  // namespace tkjs
