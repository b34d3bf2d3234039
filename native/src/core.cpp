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
        "' (expected float32, float64, float16, bfloat16, int32, int64 or bool)");
}

void raise_not_compute_dtype(DType d) {
  raise(ErrorCode::INTERNAL, "kernel: ", dtype_name(d),
        " reached a kernel written for the compute dtypes (the backend's 16-bit adapter was bypassed)");
}

// torch.promote_types restricted to our dtypes: bool < int32 < int64 < {float16, bfloat16} <
// float32 < float64, where any float beats any integer (int64 + float16 -> float16, as in
// PyTorch), and float16 with bfloat16 meet at float32 (neither holds the other).
DType promote_types(DType a, DType b) {
  static constexpr std::array<int, kNumDTypes> rank = {/*f32*/ 4,  /*f64*/ 5, /*i32*/ 1, /*i64*/ 2,
                                                       /*bool*/ 0, /*f16*/ 3, /*bf16*/ 3};
  if (a != b && is_half(a) && is_half(b)) return DType::Float32;
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
  raise(ErrorCode::INVALID_ARGUMENT, op, ": unknown device, got '", s, "' (expected 'cpu', 'cuda' or 'cuda:N')");
}

std::string device_name(Device d) { return d.is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(d.index); }

}  // namespace tk
