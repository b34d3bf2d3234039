#include "convert.h"

#include <cmath>

namespace tkjs {

using tk::ErrorCode;

const tk::Tensor& tensor_of(const Napi::Value& v, const char* op) {
  if (v.IsExternal()) {
    auto* h = v.As<Napi::External<Handle>>().Data();
    if (h && h->magic == Handle::kMagic) {
      TK_CHECK(h->tensor.defined(), DISPOSED, op, ": tensor was disposed");
      return h->tensor;
    }
  }
  tk::raise(ErrorCode::INVALID_ARGUMENT, op, ": expected a Tensor");
}

tk::Tensor operand_of(const Napi::Value& v, const char* op) {
  switch (v.Type()) {
    case napi_number: {
      double d = v.As<Napi::Number>().DoubleValue();
      // JS numbers with an integral value act as Python ints (int32 tensor + 2 stays int32).
      bool integral = std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= 9007199254740992.0;
      return tk::Tensor::wrapped_scalar(d, integral ? tk::DType::Int64 : tk::DType::Float64);
    }
    case napi_boolean:
      return tk::Tensor::wrapped_scalar(v.As<Napi::Boolean>().Value() ? 1 : 0, tk::DType::Bool);
    case napi_bigint: {
      bool lossless;
      int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
      TK_CHECK(lossless, INVALID_ARGUMENT, op, ": bigint operand out of int64 range");
      tk::Tensor t = tk::Tensor::wrapped_scalar(0, tk::DType::Int64);
      *t.data<int64_t>() = x;
      return t;
    }
    default: return tensor_of(v, op);
  }
}

tk::Attrs attrs_of(const Napi::Value& v, const char* op) {
  if (v.IsUndefined() || v.IsNull()) return {};
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
          double d = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : NAN;
          TK_CHECK(std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= 9007199254740992.0,
                   INVALID_ARGUMENT, op, ": expected a list of integers, got a non-integer at position ", j);
          a.ints.push_back(int64_t(d));
        }
        break;
      }
      default: tk::raise(ErrorCode::INVALID_ARGUMENT, op, ": option ", i, " has an unsupported type");
    }
  }
  return tk::Attrs(std::move(items));
}

namespace {
void write_meta(EnvState& st, const tk::Tensor& t, int slot) {
  double* m = st.meta_data + slot * kMetaSlot;
  m[0] = double(int(t.dtype()));
  m[1] = double(int(t.device().type));
  m[2] = double(t.device().index);
  m[3] = double(t.ndim());
  for (int i = 0; i < t.ndim(); ++i) m[4 + i] = double(t.shape()[i]);
}
}  // namespace

Napi::Value wrap(Napi::Env env, EnvState& st, tk::Tensor t, int slot) {
  write_meta(st, t, slot);
  auto* h = new Handle();
  h->reported = int64_t(t.storage()->nbytes());
  h->tensor = std::move(t);
  st.live_handles++;
  st.pending_external += h->reported;
  EnvState* stp = &st;
  // The finalizer touches no JS state: it only updates counters flushed on a later call.
  return Napi::External<Handle>::New(env, h, [stp](Napi::Env, Handle* hh) {
    release(*stp, hh);
    delete hh;
  });
}

void release(EnvState& st, Handle* h) {
  if (!h->tensor.defined()) return;
  h->tensor = tk::Tensor();
  st.live_handles--;
  st.pending_external -= h->reported;
  h->reported = 0;
}

void flush_external(Napi::Env env, EnvState& st, bool force) {
  constexpr int64_t kThreshold = 1 << 20;
  if (st.pending_external == 0 || (!force && std::llabs(st.pending_external) < kThreshold)) return;
  int64_t result;
  if (napi_adjust_external_memory(env, st.pending_external, &result) == napi_ok) {
    st.reported_external += st.pending_external;
    st.pending_external = 0;
  }
}

}  // namespace tkjs
