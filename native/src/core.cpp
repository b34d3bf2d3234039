// Small tables: dtype names and promotion, error code names, device parsing.
#include <array>

#include "tk/device.h"
#include "tk/dtype.h"
#include "tk/error.h"

namespace tk {

std::string_view dtype_name(DType d) {
  switch (d) {
#define TK_X(e, t, n) \
  case DType::e: return n;
    TK_FORALL_DTYPES(TK_X)
#undef TK_X
  }
  return "?";
}

DType parse_dtype(std::string_view name, std::string_view op) {
#define TK_X(e, t, n) \
  if (name == n) return DType::e;
  TK_FORALL_DTYPES(TK_X)
#undef TK_X
  raise(ErrorCode::INVALID_ARGUMENT, op, ": unknown dtype, got '", name,
        "' (expected float32, float64, int32, int64 or bool)");
}

// torch.promote_types restricted to our dtypes: bool < int32 < int64 < float32 < float64, where
// any float beats any integer (int64 + float32 -> float32, as in PyTorch).
DType promote_types(DType a, DType b) {
  static constexpr std::array<int, kNumDTypes> rank = {/*f32*/ 3, /*f64*/ 4, /*i32*/ 1, /*i64*/ 2,
                                                       /*bool*/ 0};
  return rank[int(a)] >= rank[int(b)] ? a : b;
}

std::string_view error_code_name(ErrorCode c) {
  switch (c) {
#define TK_X(c) \
  case ErrorCode::c: return #c;
    TK_FORALL_ERROR_CODES(TK_X)
#undef TK_X
  }
  return "INTERNAL";
}

Device parse_device(std::string_view s, std::string_view op) {
  if (s == "cpu") return {DeviceType::CPU, 0};
  if (s.substr(0, 4) == "cuda") {
    if (s.size() == 4) return {DeviceType::CUDA, 0};
    if (s[4] == ':' && s.size() > 5 && s.size() <= 8) {
      int idx = 0;
      for (char c : s.substr(5)) {
        if (c < '0' || c > '9') goto bad;
        idx = idx * 10 + (c - '0');
      }
      return {DeviceType::CUDA, idx};
    }
  }
bad:
  raise(ErrorCode::INVALID_ARGUMENT, op, ": unknown device, got '", s,
        "' (expected 'cpu', 'cuda' or 'cuda:N')");
}

std::string device_name(Device d) {
  return d.is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(d.index);
}

}  // namespace tk
