// Node-free checks of the core: layout and stride math, broadcasting, promotion, errors, the
// allocator's accounting and Philox's known answers. Build with -DTK_TESTS=ON; run with ctest.
#include <cmath>
#include <cstdio>
#include <string>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "caching_allocator.h"
#include "kernels/philox.h"
#include "tk/autograd.h"
#include "tk/cpu_info.h"
#include "tk/ops.h"

namespace {
int failures = 0;

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                     \
    }                                                                 \
  } while (0)

template <class F>
void expect_error(tk::ErrorCode code, F&& f, const char* what) {
  try {
    f();
    std::fprintf(stderr, "FAIL: %s did not throw\n", what);
    ++failures;
  } catch (const tk::Error& e) {
    if (e.code() != code) {
      std::fprintf(stderr, "FAIL: %s threw %s (%s)\n", what, std::string(tk::error_code_name(e.code())).c_str(), e.what());
      ++failures;
    }
  }
}

void layout_math() {
  using tk::DimVec;
  CHECK(tk::contiguous_strides({2, 3, 4}) == DimVec({12, 4, 1}));
  CHECK(tk::broadcast_shapes({3, 1}, {1, 4}, "t") == DimVec({3, 4}));
  CHECK(tk::broadcast_shapes({}, {2, 2}, "t") == DimVec({2, 2}));
  expect_error(tk::ErrorCode::SHAPE_MISMATCH, [] { tk::broadcast_shapes({2, 3}, {4}, "t"); }, "bad broadcast");
  CHECK(tk::wrap_dim(-1, 3, "t") == 2);
  expect_error(tk::ErrorCode::INDEX_OUT_OF_RANGE, [] { tk::wrap_dim(3, 3, "t"); }, "dim 3 of 3");
  expect_error(tk::ErrorCode::OUT_OF_MEMORY, [] { tk::checked_numel({int64_t(1) << 40, int64_t(1) << 40}, "t"); }, "overflow");

  // A transposed [3, 4] can be viewed as [4, 3] but not flattened without a copy.
  tk::Layout t{{4, 3}, {1, 4}, 0};
  DimVec st;
  CHECK(!t.is_contiguous());
  CHECK(!t.view_strides({12}, st));
  CHECK(t.view_strides({4, 3, 1}, st));
  tk::Layout c = tk::Layout::contiguous({2, 3, 4});
  CHECK(c.view_strides({6, 4}, st) && st == DimVec({4, 1}));
  CHECK(c.broadcast_strides_to({5, 2, 3, 4}) == DimVec({0, 12, 4, 1}));
}

void promotion() {
  using tk::DType;
  CHECK(tk::promote_types(DType::Int64, DType::Float32) == DType::Float32);
  CHECK(tk::promote_types(DType::Bool, DType::Int32) == DType::Int32);
  tk::Tensor i32 = tk::full({2}, 1, DType::Int32, {});
  tk::Tensor two = tk::Tensor::wrapped_scalar(2, DType::Int64);
  tk::Tensor half = tk::Tensor::wrapped_scalar(0.5, DType::Float64);
  const tk::Tensor a[2] = {i32, two}, b[2] = {i32, half};
  CHECK(tk::result_type(a) == DType::Int32);
  CHECK(tk::result_type(b) == DType::Float32);
  CHECK(tk::promote_types(DType::Float16, DType::BFloat16) == DType::Float32);
  CHECK(tk::promote_types(DType::Int64, DType::BFloat16) == DType::BFloat16);
  CHECK(tk::promote_types(DType::Float16, DType::Float32) == DType::Float32);
}

// The value of a binary16 pattern by definition, and float32 -> binary16 by exhaustive search
// for the nearest (ties to the even pattern): slow, obviously right.
double f16_value(uint16_t h) {
  int e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(1024 + m, e - 25);
  return h & 0x8000 ? -v : v;
}
uint16_t f16_nearest(float f) {
  if (std::isnan(f)) return 0x7e00;
  uint16_t best = 0;
  double bd = INFINITY;
  for (uint32_t h = 0; h < 0x7c00; ++h) {  // finite magnitudes
    double d = std::fabs(std::fabs(double(f)) - f16_value(uint16_t(h)));
    if (d < bd || (d == bd && (h & 1) == 0)) bd = d, best = uint16_t(h);
  }
  // Past 65504 by half an ulp or more (65520) rounds to infinity.
  if (std::fabs(double(f)) >= 65520.0) best = 0x7c00;
  return uint16_t(best | (std::signbit(f) ? 0x8000 : 0));
}

// The caching allocator's bookkeeping over a fake device of 1 MiB: what the CUDA allocator does,
// checked without a GPU.
size_t g_fake_used = 0;
void* fake_alloc(size_t n, int) {
  if (g_fake_used + n > (size_t(1) << 20)) return nullptr;
  g_fake_used += n;
  return std::malloc(n);
}
void fake_free(void* p, size_t n, int) {
  g_fake_used -= n;
  std::free(p);
}

void caching_allocator() {
  using tk::CachingAllocator;
  CHECK(tk::size_class(1) == 64 && tk::size_class(200) == 256 && tk::size_class(900) == 1024 &&
        tk::size_class(1025) == 1280 && tk::size_class(size_t(1) << 20) == (size_t(1) << 20));
  CachingAllocator a({fake_alloc, fake_free}, "fake", INT64_MAX);
  void* p = a.alloc(1000, 1, "t");
  auto s = a.stats(1);
  CHECK(s.allocated_bytes == 1024 && s.reserved_bytes == 1024 && s.raw_allocs == 1 && s.cache_hits == 0);
  CHECK(a.stats(0).alloc_calls == 0);  // per device
  a.free(p, 1000, 1);
  s = a.stats(1);
  CHECK(s.allocated_bytes == 0 && s.cached_bytes == 1024 && s.reserved_bytes == 1024);
  void* q = a.alloc(900, 1, "t");  // same class: from the cache
  s = a.stats(1);
  CHECK(q == p && s.cache_hits == 1 && s.raw_allocs == 1 && s.cached_bytes == 0);
  // Three 256 KiB blocks, one freed into the cache; 512 KiB more only fits once the cache is
  // returned: one retry, then success.
  const size_t k256 = 256 << 10, k512 = 512 << 10;
  void* b[3] = {a.alloc(k256, 1, "t"), a.alloc(k256, 1, "t"), a.alloc(k256, 1, "t")};
  a.free(b[2], k256, 1);
  a.free(q, 900, 1);
  void* big = a.alloc(k512, 1, "t");
  s = a.stats(1);
  CHECK(big != nullptr && s.oom_retries == 1 && s.ooms == 0 && s.cached_bytes == 0);
  CHECK(s.allocated_bytes == int64_t(2 * k256 + k512) && s.reserved_bytes == s.allocated_bytes);
  CHECK(s.peak_allocated_bytes == int64_t(2 * k256 + k512));
  // Nothing left to free: OUT_OF_MEMORY after the retry, and the figures say so.
  expect_error(tk::ErrorCode::OUT_OF_MEMORY, [&] { a.alloc(k512, 1, "grow"); }, "alloc past the device");
  s = a.stats(1);
  CHECK(s.oom_retries == 2 && s.ooms == 1 && s.allocated_bytes == int64_t(2 * k256 + k512));
  a.free(big, k512, 1);
  a.free(b[0], k256, 1);
  a.free(b[1], k256, 1);
  a.reset_peaks(1);
  s = a.stats(1);
  CHECK(s.allocated_bytes == 0 && s.peak_allocated_bytes == 0 && s.cached_bytes == int64_t(2 * k256 + k512));
  a.empty_cache(1);
  s = a.stats(1);
  CHECK(s.reserved_bytes == 0 && s.cached_bytes == 0 && s.raw_frees == s.raw_allocs && g_fake_used == 0);
  // A cache limit sends blocks beyond it straight back.
  CachingAllocator small({fake_alloc, fake_free}, "fake", 2048);
  void* x = small.alloc(4096, 0, "t");
  small.free(x, 4096, 0);
  CHECK(small.stats(0).cached_bytes == 0 && small.stats(0).raw_frees == 1 && g_fake_used == 0);
  expect_error(tk::ErrorCode::INVALID_ARGUMENT, [&] { a.alloc(8, 99, "t"); }, "device out of range");
}

void half_conversions() {
  using namespace tk::kernels;
  int bad = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = half_to_float(uint16_t(h));
    double want = f16_value(uint16_t(h));
    if (std::isnan(want) ? !std::isnan(f) : double(f) != want) ++bad;
    if (!std::isnan(f) && float_to_half(f) != h) ++bad;
    float b = bf16_to_float(uint16_t(h));
    if (!std::isnan(b) && float_to_bf16(b) != h) ++bad;
  }
  CHECK(bad == 0);
  // Rounding: halfway cases, subnormals, overflow, and a spread of values.
  const float cases[] = {1.0f + 0x1p-11f, 1.0f + 3 * 0x1p-11f, 0x1p-25f, 3 * 0x1p-26f, 0x1p-26f, 65519.0f,
                         65520.0f, -65520.0f, 2047.5f, 2048.5f, 1e-8f, -0.0f, 0.1f, 3.14159f, 0x1.ffep-15f};
  for (float f : cases) CHECK(float_to_half(f) == f16_nearest(f));
  uint32_t x = 12345;
  for (int i = 0; i < 300; ++i) {
    x = x * 1664525u + 1013904223u;
    float f = std::ldexp(1.0f + float(x >> 9) * 0x1p-23f, int(x % 48) - 30) * ((x & 256) ? -1.f : 1.f);
    if (float_to_half(f) != f16_nearest(f)) ++bad;
  }
  CHECK(bad == 0);
  CHECK(float_to_bf16(1.0f + 0x1p-8f) == 0x3f80);  // tie to even
  CHECK(float_to_bf16(1.0f + 3 * 0x1p-8f) == 0x3f82);
  CHECK(float_to_bf16(3.4028235e38f) == 0x7f80);   // rounds past the largest bfloat16
  CHECK((float_to_bf16(NAN) & 0x7fc0) == 0x7fc0);
  // The copy kernel's F16C path and its scalar path agree on every pattern (NaN payloads aside).
  {
    std::vector<float> vals;
    for (uint32_t h = 0; h < 65536; ++h) vals.push_back(half_to_float(uint16_t(h)));
    for (int i = 0; i < 4096; ++i) vals.push_back(std::ldexp(float(i) + 0.5f, -30 + i % 50));
    tk::Tensor f = tk::Tensor::empty({int64_t(vals.size())}, tk::DType::Float32, {});
    std::copy(vals.begin(), vals.end(), f.data<float>());
    auto run = [&](tk::cpu::Capability c) {
      tk::cpu::set_capability(c);
      tk::Tensor h = tk::to_dtype(f, tk::DType::Float16);
      tk::Tensor back = tk::to_dtype(h, tk::DType::Float32);
      std::vector<uint32_t> out(vals.size());
      for (size_t i = 0; i < vals.size(); ++i) {
        uint16_t b = h.data<tk::Half>()[i].bits;
        out[i] = std::isnan(vals[i]) ? 0x7e00u : b | (uint32_t(f32_bits(back.data<float>()[i]) == f32_bits(half_to_float(b))) << 16);
      }
      return out;
    };
    const auto detected = tk::cpu::cpu_info().detected;
    auto fast = run(detected), scalar = run(tk::cpu::Capability::Default);
    tk::cpu::set_capability(detected);
    CHECK(fast == scalar);
    for (size_t i = 0; i < 65536; ++i)
      if (!std::isnan(vals[i]) && (scalar[i] & 0xffff) != i) ++bad;
    CHECK(bad == 0);
  }
  // The CPU adapter: a float16 op computes in float32 and rounds once.
  tk::Tensor a = tk::to_dtype(tk::full({3}, 1.0 / 3, tk::DType::Float32, {}), tk::DType::Float16);
  tk::Tensor s = tk::binary(tk::BinaryOp::add, a, a);
  CHECK(s.dtype() == tk::DType::Float16);
  CHECK(s.data<tk::Half>()[2].bits == float_to_half(2 * half_to_float(float_to_half(1.0f / 3))));
}

void ops_and_memory() {
  int64_t before = tk::memory_stats().live_bytes;
  {
    tk::Tensor x = tk::arange(0, 6, 1, tk::DType::Float32, {});
    tk::Tensor m = tk::reshape(x, {2, 3});
    tk::Tensor s = tk::reduce(tk::ReduceOp::Sum, tk::transpose(m, 0, 1), std::vector<int64_t>{1}, false, "sum");
    CHECK(s.shape() == tk::DimVec({3}));
    CHECK(s.data<float>()[0] == 3 && s.data<float>()[2] == 7);
    tk::Tensor p = tk::matmul(m, tk::transpose(m, 0, 1));
    CHECK(p.data<float>()[0] == 5 && p.data<float>()[3] == 50);
    expect_error(tk::ErrorCode::SHAPE_MISMATCH, [&] { tk::matmul(m, m); }, "matmul shapes");
    expect_error(tk::ErrorCode::OUT_OF_MEMORY, [] { tk::Tensor::empty({int64_t(1) << 45, 4}, tk::DType::Float32, {}); }, "huge alloc");
  }
  CHECK(tk::memory_stats().live_bytes == before);
}

void philox_known_answer() {
  // Random123's known-answer test for Philox4x32-10 with zero counter and key.
  tk::kernels::Philox4 r = tk::kernels::philox4x32(0, 0);
  CHECK(r.v[0] == 0x6627e8d5u && r.v[1] == 0xe169c58du && r.v[2] == 0xbc57ac4cu && r.v[3] == 0x9b00dbd8u);
}
}  // namespace

// The engine without Node: y = sum(x * x + x) through call(), then a second backward through
// the freed graph and a saved tensor modified in place.
tk::Tensor op(tk::OpId id, std::initializer_list<tk::Tensor> in) {
  tk::Attrs none;
  return tk::call(id, std::span<const tk::Tensor>(in.begin(), in.size()), none)[0];
}

void autograd_engine() {
  namespace ag = tk::autograd;
  tk::Tensor x = tk::arange(1, 4, 1, tk::DType::Float64, {});
  ag::set_requires_grad(x, true);
  tk::Tensor y = op(tk::OpId::sum, {op(tk::OpId::add, {op(tk::OpId::mul, {x, x}), x})});
  CHECK(ag::grad_fn_name(y) == "SumBackward");
  ag::backward({&y, 1}, {}, {});
  tk::Tensor g = ag::grad(x);
  CHECK(g.defined() && g.numel() == 3);
  for (int i = 0; i < 3; ++i) CHECK(g.data<double>()[i] == 2 * (i + 1) + 1);
  expect_error(tk::ErrorCode::INVALID_ARGUMENT, [&] { ag::backward({&y, 1}, {}, {}); }, "second backward");

  tk::Tensor e = op(tk::OpId::exp, {x});
  tk::Tensor z = op(tk::OpId::sum, {e});
  tk::Attrs a;
  tk::Tensor one = tk::Tensor::wrapped_scalar(1, tk::DType::Float64);
  tk::Tensor ins[] = {e, one};
  tk::call(tk::OpId::add_, ins, a);  // exp saved its output
  expect_error(tk::ErrorCode::INVALID_ARGUMENT, [&] { ag::backward({&z, 1}, {}, {}); }, "modified saved tensor");
  {
    ag::GradModeGuard off(false);
    CHECK(!ag::requires_grad(op(tk::OpId::mul, {x, x})));
  }
  CHECK(ag::requires_grad(op(tk::OpId::mul, {x, x})));
}

int main() {
  layout_math();
  autograd_engine();
  promotion();
  half_conversions();
  caching_allocator();
  ops_and_memory();
  philox_known_answer();
  std::printf("%s\n", failures ? "core tests FAILED" : "core tests passed");
  return failures ? 1 : 0;
}
