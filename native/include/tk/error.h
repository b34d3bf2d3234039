// Errors: every failure in the core is a tk::Error with a code from one closed list, shared with TS.
// Nothing in native/ aborts the process; internal invariants raise INTERNAL instead.
#pragma once
#include <exception>
#include <sstream>
#include <string>
#include <string_view>

namespace tk {

// The closed list of error codes. src/errors.ts holds the same list; a test compares them.
#define TK_FORALL_ERROR_CODES(X) \
  X(SHAPE_MISMATCH)              \
  X(DTYPE_MISMATCH)              \
  X(DEVICE_MISMATCH)             \
  X(INVALID_ARGUMENT)            \
  X(INDEX_OUT_OF_RANGE)          \
  X(NOT_IMPLEMENTED)             \
  X(DISPOSED)                    \
  X(OUT_OF_MEMORY)               \
  X(CUDA_ERROR)                  \
  X(IO_ERROR)                    \
  X(DISTRIBUTED_ERROR)           \
  X(INTERNAL)

enum class ErrorCode {
#define TK_X(c) c,
  TK_FORALL_ERROR_CODES(TK_X)
#undef TK_X
};

std::string_view error_code_name(ErrorCode c);

class Error : public std::exception {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  ErrorCode code() const noexcept { return code_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  ErrorCode code_;
  std::string message_;
};

template <class... Parts> [[noreturn]] void raise(ErrorCode code, const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw Error(code, os.str());
}

}  // namespace tk

// TK_CHECK(cond, CODE, "op: what is wrong, got ", value): throws tk::Error when cond is false.
#define TK_CHECK(cond, CODE, ...)                      \
  do {                                                 \
    if (!(cond)) [[unlikely]]                          \
      ::tk::raise(::tk::ErrorCode::CODE, __VA_ARGS__); \
  } while (0)

// Internal invariant: a failure is a bug in tensorkit, reported as INTERNAL (never an abort).
#define TK_ASSERT(cond)                                                                                            \
  do {                                                                                                             \
    if (!(cond)) [[unlikely]]                                                                                      \
      ::tk::raise(::tk::ErrorCode::INTERNAL, "internal invariant failed: " #cond " at ", __FILE__, ":", __LINE__); \
  } while (0)
