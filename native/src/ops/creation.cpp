// Creation ops and the random stream. Creation on a CUDA device builds on the CPU and copies
// until CUDA fill/random kernels exist, so every creation op already works on every device.
#include <atomic>
#include <cmath>

#include "kernels/creation_rules.h"
#include "ops/internal.h"

namespace tk {
namespace {
using namespace ops;

// PyTorch's default seed, so unseeded runs are reproducible too.
constexpr uint64_t kDefaultSeed = 67280421310721ull;

// The random stream: a Philox key (the seed) and the next unused counter. One per thread, so
// each JS environment (the main thread, every worker) has its own: a worker's manualSeed leaves
// the main thread's stream alone, as each Python process has its own in PyTorch. Kernels draw
// their counters on the calling thread before any parallel split, so the pool's threads never
// touch it.
struct Generator {
  uint64_t seed = kDefaultSeed;
  uint64_t offset = 0;
};
thread_local Generator t_rng;

// Reserves `counters` Philox counters of the stream: (key, first counter).
std::pair<uint64_t, uint64_t> take_counters(uint64_t counters) {
  const uint64_t off = t_rng.offset;
  t_rng.offset += counters;
  return {t_rng.seed, off};
}

// Where a creation op makes its tensor: on `device` itself when that device's backend has the
// kernel, else on the CPU, and on_device copies it over.
template <class F> Device made_on(Device device, F Backend::*kernel) {
  return device.is_cpu() || has_kernel(kernel, device) ? device : Device{};
}
Tensor on_device(Tensor t, Device device) { return t.device() == device ? t : to_device(t, device); }

Tensor random_tensor(const DimVec& shape, DType dtype, Device device, RandomKind kind, double a, double b,
                     const char* op) {
  Tensor t = Tensor::empty(shape, dtype, made_on(device, &Backend::random), op);
  // The kernels' elements per counter (16-bit floats run the float32 kernel).
  const uint64_t per = dispatch_dtype(is_half(dtype) ? DType::Float32 : dtype,
                                      []<class T>() { return uint64_t(kernels::kPerCounter<T>); });
  auto [key, off] = take_counters((uint64_t(t.numel()) + per - 1) / per);
  kernel_for(&Backend::random, t.device(), op)(t, kind, a, b, key, off);
  return on_device(t, device);
}

void check_finite(double v, const char* op, const char* what) {
  TK_CHECK(std::isfinite(v), INVALID_ARGUMENT, op, ": ", what, " must be finite, got ", v);
}

bool is_int(double v) { return std::isfinite(v) && v == std::floor(v); }

}  // namespace

void manual_seed(uint64_t seed) { t_rng = {seed, 0}; }

uint64_t initial_seed() { return t_rng.seed; }

std::pair<uint64_t, uint64_t> get_rng_state() { return {t_rng.seed, t_rng.offset}; }

void set_rng_state(uint64_t seed, uint64_t offset) { t_rng = {seed, offset}; }

Tensor full(const DimVec& shape, double value, DType dtype, Device device, const char* op) {
  Tensor t = Tensor::empty(shape, dtype, made_on(device, &Backend::fill), op);
  fill_(t, value);
  return on_device(t, device);
}

Tensor arange(double start, double end, double step, std::optional<DType> dtype, Device device) {
  check_finite(start, "arange", "start");
  check_finite(end, "arange", "end");
  check_finite(step, "arange", "step");
  TK_CHECK(step != 0, INVALID_ARGUMENT, "arange: step must be nonzero, got 0");
  TK_CHECK((end - start) / step >= 0, INVALID_ARGUMENT,
           "arange: upper bound and lower bound inconsistent with step sign, got start=", start, ", end=", end,
           ", step=", step);
  double n = std::ceil((end - start) / step);
  TK_CHECK(n < 9.0e15, OUT_OF_MEMORY, "arange: too many elements, got ", n);
  DType dt = dtype.value_or(is_int(start) && is_int(end) && is_int(step) ? DType::Int64 : kDefaultFloat);
  Tensor t = Tensor::empty({int64_t(n)}, dt, made_on(device, &Backend::arange), "arange");
  kernel_for(&Backend::arange, t.device(), "arange")(t, start, step, end, false);
  return on_device(t, device);
}

namespace ops {

Outputs op_zeros(const Args& a) {
  expect_inputs(a, 0);
  return {full(shape_attr(a.attrs, 0, a.name), 0, dtype_attr(a.attrs, 1).value_or(kDefaultFloat),
               device_attr(a.attrs, 2, a.name), a.name)};
}

Outputs op_ones(const Args& a) {
  expect_inputs(a, 0);
  return {full(shape_attr(a.attrs, 0, a.name), 1, dtype_attr(a.attrs, 1).value_or(kDefaultFloat),
               device_attr(a.attrs, 2, a.name), a.name)};
}

Outputs op_full(const Args& a) {
  expect_inputs(a, 0);
  DType dt = dtype_attr(a.attrs, 2).value_or(kDefaultFloat);
  double v = a.attrs.number(1, "value");
  if (!is_floating(dt))
    TK_CHECK(std::isfinite(v), INVALID_ARGUMENT, a.name, ": cannot fill a ", dtype_name(dt), " tensor with ", v);
  return {full(shape_attr(a.attrs, 0, a.name), v, dt, device_attr(a.attrs, 3, a.name))};
}

Outputs op_arange(const Args& a) {
  expect_inputs(a, 0);
  return {arange(a.attrs.number(0, "start"), a.attrs.number(1, "end"), a.attrs.number_or(2, "step", 1),
                 dtype_attr(a.attrs, 3), device_attr(a.attrs, 4, a.name))};
}

Outputs op_linspace(const Args& a) {
  expect_inputs(a, 0);
  double start = a.attrs.number(0, "start"), end = a.attrs.number(1, "end");
  check_finite(start, a.name, "start");
  check_finite(end, a.name, "end");
  int64_t steps = a.attrs.integer(2, "steps");
  TK_CHECK(steps >= 0, INVALID_ARGUMENT, a.name, ": number of steps must be non-negative, got ", steps);
  DType dt = dtype_attr(a.attrs, 3).value_or(kDefaultFloat);
  const Device device = device_attr(a.attrs, 4, a.name);
  Tensor t = Tensor::empty({steps}, dt, made_on(device, &Backend::arange), a.name);
  double step = steps > 1 ? (end - start) / double(steps - 1) : 0;
  kernel_for(&Backend::arange, t.device(), a.name)(t, start, step, end, true);
  return {on_device(t, device)};
}

Outputs op_eye(const Args& a) {
  expect_inputs(a, 0);
  int64_t n = a.attrs.integer(0, "n"), m = a.attrs.integer_or(1, "m", n);
  TK_CHECK(n >= 0 && m >= 0, INVALID_ARGUMENT, a.name, ": sizes must be non-negative, got n=", n, ", m=", m);
  const Device device = device_attr(a.attrs, 3, a.name);
  Tensor t =
      Tensor::empty({n, m}, dtype_attr(a.attrs, 2).value_or(kDefaultFloat), made_on(device, &Backend::eye), a.name);
  kernel_for(&Backend::eye, t.device(), a.name)(t);
  return {on_device(t, device)};
}

Outputs rand_like_op(const Args& a, RandomKind kind) {
  expect_inputs(a, 0);
  DType dt = dtype_attr(a.attrs, 1).value_or(kDefaultFloat);
  TK_CHECK(is_floating(dt), DTYPE_MISMATCH, a.name, ": expected a floating dtype, got ", dtype_name(dt));
  // Uniform on [0, 1) or N(0, 1): (a, b) is (low, high) or (mean, std).
  return {random_tensor(shape_attr(a.attrs, 0, a.name), dt, device_attr(a.attrs, 2, a.name), kind, 0.0, 1.0, a.name)};
}

Outputs op_rand(const Args& a) { return rand_like_op(a, RandomKind::Uniform); }
Outputs op_randn(const Args& a) { return rand_like_op(a, RandomKind::Normal); }

Outputs op_randint(const Args& a) {
  expect_inputs(a, 0);
  int64_t low = a.attrs.integer(0, "low"), high = a.attrs.integer(1, "high");
  TK_CHECK(high > low, INVALID_ARGUMENT, a.name, ": expected low < high, got low=", low, ", high=", high);
  DType dt = dtype_attr(a.attrs, 3).value_or(DType::Int64);
  if (dt == DType::Int32)
    TK_CHECK(low >= INT32_MIN && high - 1 <= INT32_MAX, INVALID_ARGUMENT, a.name,
             ": bounds out of range for int32, got low=", low, ", high=", high);
  if (dt == DType::Bool)
    TK_CHECK(low >= 0 && high <= 2, INVALID_ARGUMENT, a.name, ": bounds out of range for bool, got low=", low,
             ", high=", high);
  return {random_tensor(shape_attr(a.attrs, 2, a.name), dt, device_attr(a.attrs, 4, a.name), RandomKind::Integer,
                        double(low), double(high), a.name)};
}

}  // namespace ops
}  // namespace tk
