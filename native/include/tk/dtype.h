// Element types, their table, and PyTorch's type-promotion rules.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tk/half.h"

namespace tk {

// The one dtype table: enum name, C++ storage type, public name. bool is stored as one byte (0/1).
// Compute dtypes are the ones kernels are written for (dispatch_dtype). The 16-bit floats are
// storage dtypes: copy and fill handle them natively; a backend without native 16-bit kernels
// computes in float32 and rounds each result (native/src/half_adapter.cpp), as PyTorch's CPU does.
#define TK_FORALL_COMPUTE_DTYPES(X) \
  X(Float32, float, "float32")      \
  X(Float64, double, "float64")     \
  X(Int32, int32_t, "int32")        \
  X(Int64, int64_t, "int64")        \
  X(Bool, bool, "bool")
#define TK_FORALL_HALF_DTYPES(X) \
  X(Float16, Half, "float16")    \
  X(BFloat16, BFloat16, "bfloat16")
#define TK_FORALL_DTYPES(X) TK_FORALL_COMPUTE_DTYPES(X) TK_FORALL_HALF_DTYPES(X)

enum class DType : uint8_t {
#define TK_X(e, t, n) e,
  TK_FORALL_DTYPES(TK_X)
#undef TK_X
};
inline constexpr int kNumDTypes = 0
#define TK_X(e, t, n) +1
    TK_FORALL_DTYPES(TK_X)
#undef TK_X
    ;

inline constexpr DType kDefaultFloat = DType::Float32;

std::string_view dtype_name(DType d);
// Parses a public dtype name; throws INVALID_ARGUMENT naming `op` for unknown names.
DType parse_dtype(std::string_view name, std::string_view op);
inline constexpr size_t kItemSizes[] = {
#define TK_X(e, t, n) sizeof(t),
    TK_FORALL_DTYPES(TK_X)
#undef TK_X
};
inline size_t itemsize(DType d) {
  // The bound check is free in practice and keeps an out-of-enum value from reading past the table.
  return unsigned(d) < unsigned(kNumDTypes) ? kItemSizes[unsigned(d)] : 1;
}
// A finite integral double in [-2^53, 2^53]: an integer JS numbers represent exactly.
inline bool is_safe_integer(double v) {
  return std::isfinite(v) && v == std::floor(v) && std::fabs(v) <= 9007199254740992.0;
}
// What an integer option must be, for an error about v: integral values too large to be exact
// in a double are not "non-integers".
inline const char* integer_requirement(double v) {
  return std::isfinite(v) && v == std::floor(v) ? "an integer of magnitude at most 2^53" : "an integer";
}

inline bool is_half(DType d) { return d == DType::Float16 || d == DType::BFloat16; }
inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64 || is_half(d); }
inline bool is_integral(DType d, bool include_bool) {
  return d == DType::Int32 || d == DType::Int64 || (include_bool && d == DType::Bool);
}
// The smallest dtype both `a` and `b` convert to without losing their category (torch.promote_types).
DType promote_types(DType a, DType b);

template <class T> struct dtype_of;
#define TK_X(e, t, n)                        \
  template <> struct dtype_of<t> {           \
    static constexpr DType value = DType::e; \
  };
TK_FORALL_DTYPES(TK_X)
#undef TK_X

[[noreturn]] void raise_not_compute_dtype(DType d);

// Calls f.template operator()<T>() with T the C++ type of `d`, a compute dtype (a 16-bit float
// reaching a kernel is an INTERNAL error: the backend adapter converts those first).
template <class F> decltype(auto) dispatch_dtype(DType d, F&& f) {
  switch (d) {
#define TK_X(e, t, n) \
  case DType::e: return f.template operator()<t>();
    TK_FORALL_COMPUTE_DTYPES(TK_X)
#undef TK_X
    default: break;
  }
  raise_not_compute_dtype(d);
}

// Same over every dtype, the 16-bit storage types included (copy and fill).
template <class F> decltype(auto) dispatch_all_dtypes(DType d, F&& f) {
  switch (d) {
#define TK_X(e, t, n) \
  case DType::e: return f.template operator()<t>();
    TK_FORALL_DTYPES(TK_X)
#undef TK_X
  }
  raise_not_compute_dtype(d);
}

}  // namespace tk
