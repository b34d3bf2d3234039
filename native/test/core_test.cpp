// Node-free checks of the core: layout and stride math, broadcasting, promotion, errors, the
// allocator's accounting and Philox's known answers. Build with -DTK_TESTS=ON; run with ctest.
#include <cmath>
#include <cstdio>
#include <string>

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <vector>

#include "backend.h"
#include "caching_allocator.h"
#include "cuda/bodies.h"
#include "kernels/philox.h"
#include "tk/autograd.h"
#include "tk/cpu_info.h"
#include "tk/graph.h"
#include "tk/number_text.h"
#include "tk/ops.h"

namespace {
int failures = 0;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                          \
    }                                                                      \
  } while (0)

template <class F> void expect_error(tk::ErrorCode code, F&& f, const char* what) {
  try {
    f();
    std::fprintf(stderr, "FAIL: %s did not throw\n", what);
    ++failures;
  } catch (const tk::Error& e) {
    if (e.code() != code) {
      std::fprintf(stderr, "FAIL: %s threw %s (%s)\n", what, std::string(tk::error_code_name(e.code())).c_str(),
                   e.what());
      ++failures;
    }
  }
}

void layout_math() {
  using tk::DimVec;
  CHECK(tk::contiguous_strides({2, 3, 4}) == DimVec({12, 4, 1}));
  CHECK(tk::broadcast_shapes({3, 1}, {1, 4}, "t") == DimVec({3, 4}));
  CHECK(tk::broadcast_shapes({}, {2, 2}, "t") == DimVec({2, 2}));
  expect_error(
      tk::ErrorCode::SHAPE_MISMATCH,
      [] {
        tk::broadcast_shapes({2, 3}, {4}, "t");
      },
      "bad broadcast");
  CHECK(tk::wrap_dim(-1, 3, "t") == 2);
  expect_error(
      tk::ErrorCode::INDEX_OUT_OF_RANGE, [] { tk::wrap_dim(3, 3, "t"); }, "dim 3 of 3");
  expect_error(
      tk::ErrorCode::OUT_OF_MEMORY,
      [] {
        tk::checked_numel({int64_t(1) << 40, int64_t(1) << 40}, "t");
      },
      "overflow");

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
  expect_error(
      tk::ErrorCode::OUT_OF_MEMORY, [&] { a.alloc(k512, 1, "grow"); }, "alloc past the device");
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
  expect_error(
      tk::ErrorCode::INVALID_ARGUMENT, [&] { a.alloc(8, 99, "t"); }, "device out of range");
}

// The CUDA kernels' per-thread bodies (cuda/bodies.h), run here in serial loops on the CPU and
// compared with the CPU backend's kernels on the same inputs: the index arithmetic of every CUDA
// kernel family without a GPU.
uint32_t g_lcg = 7;
tk::Tensor random_tensor(const tk::DimVec& shape, tk::DType dt = tk::DType::Float64) {
  tk::Tensor t = tk::Tensor::empty(shape, dt, {});
  for (int64_t i = 0; i < t.numel(); ++i) {
    g_lcg = g_lcg * 1664525u + 1013904223u;
    const double v = double(g_lcg >> 8) / double(1 << 24) * 4 - 2;
    if (dt == tk::DType::Float64)
      t.data<double>()[i] = v;
    else
      t.data<float>()[i] = float(v);
  }
  return t;
}
double max_diff(const tk::Tensor& a, const tk::Tensor& b) {
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.data<double>()[i], y = b.data<double>()[i];
    if (std::isnan(x) != std::isnan(y)) return INFINITY;
    if (!std::isnan(x)) m = std::max(m, std::fabs(x - y));
  }
  return m;
}
template <class F> void serial(int64_t n, F&& f) {
  for (int64_t k = 0; k < n; ++k) f(k);
}

void cuda_bodies() {
  namespace body = tk::cuda::body;
  using tk::DType;
  const tk::Backend& cpu = tk::cpu_backend;
  // Element-wise offsets: a transposed, then a broadcast view, enumerated in row-major order.
  {
    tk::Tensor x = random_tensor({3, 5});
    tk::Tensor views[2] = {tk::transpose(x, 0, 1), tk::expand(tk::narrow(x, 0, 1, 1), {4, 5})};
    for (const tk::Tensor& v : views) {
      tk::Tensor ref = tk::contiguous(v);
      int64_t sizes[tk::kMaxDims], strides[tk::kMaxDims];
      for (int d = 0; d < v.ndim(); ++d) sizes[d] = v.shape()[d], strides[d] = v.strides()[d] * 8;
      int bad = 0;
      serial(v.numel(), [&](int64_t i) {
        const char* base = static_cast<const char*>(v.data_ptr());
        if (*reinterpret_cast<const double*>(base + body::strided_offset(i, v.ndim(), sizes, strides)) !=
            ref.data<double>()[i])
          ++bad;
      });
      CHECK(bad == 0);
    }
  }
  // The element-wise geometry: the flat path only when every operand is contiguous in the
  // output's shape, and offsets that read the right elements either way (a copy emulated).
  {
    tk::Tensor x = random_tensor({4, 5}), out = tk::Tensor::empty({4, 5}, DType::Float64, {});
    tk::Tensor xt = tk::transpose(random_tensor({5, 4}), 0, 1), row = tk::expand(random_tensor({1, 5}), {4, 5});
    for (const tk::Tensor* in : {&x, &xt, &row}) {
      const tk::Tensor* ops[2] = {&out, in};
      body::Geometry<2> g(ops);
      CHECK(g.flat == (in == &x));
      serial(out.numel(), [&](int64_t i) {
        int64_t off[2];
        g.offsets(i, off);
        *reinterpret_cast<double*>(g.base[0] + off[0]) = *reinterpret_cast<const double*>(g.base[1] + off[1]);
      });
      CHECK(max_diff(out, tk::contiguous(*in)) == 0);
    }
  }
  // Convolution lowering over windows with stride, padding and dilation.
  const tk::Window2d windows[] = {{3, 7, 6, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1},
                                  {2, 9, 8, 4, 3, 3, 2, 2, 3, 1, 1, 2, 1},
                                  {2, 5, 5, 3, 3, 2, 2, 2, 2, 0, 0, 1, 1}};
  for (const tk::Window2d& w : windows) {
    tk::Tensor img = random_tensor({w.C, w.H, w.W});
    tk::Tensor col_ref = tk::Tensor::empty({w.C * w.kh * w.kw, w.OH * w.OW}, DType::Float64, {});
    tk::Tensor col = tk::Tensor::empty(col_ref.shape(), DType::Float64, {});
    cpu.im2col(col_ref, img, w);
    serial(col.numel(), [&](int64_t k) { body::im2col(k, col.data<double>(), img.data<double>(), w); });
    CHECK(max_diff(col, col_ref) == 0);
    tk::Tensor back_ref = tk::full({w.C, w.H, w.W}, 0, DType::Float64, {});
    tk::Tensor back = tk::full({w.C, w.H, w.W}, 0, DType::Float64, {});
    cpu.col2im(back_ref, col, w);
    serial(back.numel(), [&](int64_t k) { body::col2im(k, back.data<double>(), col.data<double>(), w); });
    CHECK(max_diff(back, back_ref) < 1e-12);
    // Pooling on the same windows, planes [C, H, W]: a tie for the maximum (the first wins) and
    // a NaN in the first plane.
    img.data<double>()[0] = img.data<double>()[1] = 5.0;
    img.data<double>()[4] = NAN;
    tk::Tensor y_ref = tk::Tensor::empty({w.C, w.OH, w.OW}, DType::Float64, {}),
               y = tk::Tensor::empty(y_ref.shape(), DType::Float64, {});
    tk::Tensor i_ref = tk::Tensor::empty(y_ref.shape(), DType::Int64, {}),
               ix = tk::Tensor::empty(y_ref.shape(), DType::Int64, {});
    cpu.max_pool2d(y_ref, i_ref, img, w);
    serial(y.numel(),
           [&](int64_t k) { body::max_pool(k, y.data<double>(), ix.data<int64_t>(), img.data<double>(), w); });
    CHECK(max_diff(y, y_ref) == 0);
    CHECK(std::equal(ix.data<int64_t>(), ix.data<int64_t>() + ix.numel(), i_ref.data<int64_t>()));
    tk::Tensor gi_ref = tk::Tensor::empty(img.shape(), DType::Float64, {}),
               gi = tk::Tensor::empty(img.shape(), DType::Float64, {});
    tk::Tensor go = random_tensor(y.shape());
    cpu.max_pool2d_backward(gi_ref, go, i_ref);
    serial(w.C, [&](int64_t p) {
      body::max_pool_backward(p, gi.data<double>(), go.data<double>(), i_ref.data<int64_t>(), w.H * w.W, w.OH * w.OW);
    });
    CHECK(max_diff(gi, gi_ref) == 0);
    img.data<double>()[4] = 0.5;
    for (bool pad : {true, false}) {
      cpu.avg_pool2d(y_ref, img, w, pad);
      serial(y.numel(), [&](int64_t k) { body::avg_pool(k, y.data<double>(), img.data<double>(), w, pad); });
      CHECK(max_diff(y, y_ref) == 0);
      cpu.avg_pool2d_backward(gi_ref, go, w, pad);
      serial(w.C, [&](int64_t p) { body::avg_pool_backward(p, gi.data<double>(), go.data<double>(), w, pad); });
      CHECK(max_diff(gi, gi_ref) == 0);
    }
    tk::Tensor a_ref = tk::Tensor::empty({w.C, 2, 3}, DType::Float64, {}),
               a = tk::Tensor::empty({w.C, 2, 3}, DType::Float64, {});
    cpu.adaptive_avg_pool2d(a_ref, img);
    serial(a.numel(), [&](int64_t k) { body::adaptive(k, a.data<double>(), img.data<double>(), w.H, w.W, 2, 3); });
    CHECK(max_diff(a, a_ref) == 0);
    cpu.adaptive_avg_pool2d_backward(gi_ref, a_ref);
    serial(w.C,
           [&](int64_t p) { body::adaptive_backward(p, gi.data<double>(), a_ref.data<double>(), w.H, w.W, 2, 3); });
    CHECK(max_diff(gi, gi_ref) == 0);
  }
  // The tiled gemm, block by block with its two phases per K step as the GPU runs them (every
  // thread stages, then every thread accumulates): a batch of transposed a, sizes that are not
  // multiples of 16, alpha and beta, and beta 0 ignoring NaN already in out.
  for (double beta : {0.0, 0.5}) {
    const int64_t B = 2, M = 19, N = 33, K = 21;
    tk::Tensor a = tk::transpose(random_tensor({B, K, M}), 1, 2), b = random_tensor({B, K, N});
    tk::Tensor ref = random_tensor({B, M, N}), out = tk::clone(ref);
    if (beta == 0) ref.data<double>()[5] = out.data<double>()[5] = NAN;
    cpu.gemm(ref, a, b, 1.5, beta);
    body::View3<double> av{a.data<double>(), a.strides()[0], a.strides()[1], a.strides()[2]};
    body::View3<double> bv{b.data<double>(), b.strides()[0], b.strides()[1], b.strides()[2]};
    const int T = body::kTile;
    for (int64_t bi = 0; bi < B; ++bi)
      for (int64_t row0 = 0; row0 < M; row0 += T)
        for (int64_t col0 = 0; col0 < N; col0 += T) {
          body::GemmTiles<double> tiles;
          double acc[T][T] = {};
          for (int64_t k0 = 0; k0 < K; k0 += T) {
            for (int ty = 0; ty < T; ++ty)
              for (int tx = 0; tx < T; ++tx) body::gemm_stage(tiles, tx, ty, bi, row0, col0, k0, av, bv, M, N, K);
            for (int ty = 0; ty < T; ++ty)
              for (int tx = 0; tx < T; ++tx) body::gemm_accumulate(tiles, tx, ty, acc[ty][tx]);
          }
          for (int ty = 0; ty < T; ++ty)
            for (int tx = 0; tx < T; ++tx)
              body::gemm_store(out.data<double>(), M * N, N, int64_t(1), bi, row0 + ty, col0 + tx, M, N, acc[ty][tx],
                               1.5, beta);
        }
    CHECK(max_diff(out, ref) < 1e-12);
  }
  // Reductions over [O, R, I] with I > 1 (the thread-per-output path) and I == 1.
  for (tk::ORI g : {tk::ORI{3, 7, 4}, tk::ORI{5, 9, 1}}) {
    tk::Tensor x = random_tensor({g.O, g.R, g.I});
    x.data<double>()[g.I] = NAN;  // output 0 sees a NaN at r = 1
    tk::Tensor ref = tk::Tensor::empty({g.O, g.I}, DType::Float64, {}),
               out = tk::Tensor::empty({g.O, g.I}, DType::Float64, {});
    cpu.reduce(tk::ReduceKernel::Max, ref, x, g);
    serial(out.numel(), [&](int64_t k) {
      body::column_reduce<body::Kind::Max, double, double>(k, x.data<double>(), out.data<double>(), g);
    });
    CHECK(max_diff(out, ref) == 0);
    cpu.reduce(tk::ReduceKernel::Sum, ref, x, g);
    serial(out.numel(), [&](int64_t k) {
      body::column_reduce<body::Kind::Sum, double, double>(k, x.data<double>(), out.data<double>(), g);
    });
    CHECK(max_diff(out, ref) < 1e-12);
    if (g.I == 1) {  // the block-per-row path: 256 threads' partials, then the tree
      auto by_block = [&](auto kind, tk::ReduceKernel k) {
        constexpr body::Kind K = decltype(kind)::value;
        cpu.reduce(k, ref, x, g);
        for (int64_t row = 0; row < g.O; ++row) {
          double part[256];
          for (int t = 0; t < 256; ++t)
            part[t] = body::row_partial<K, double>(t, 256, x.data<double>() + row * g.R, g.R);
          for (int s = 128; s > 0; s >>= 1)
            for (int t = 0; t < 256; ++t) body::tree_step<K, double>(part, t, s);
          out.data<double>()[row] = part[0];
        }
        return max_diff(out, ref);
      };
      CHECK(by_block(std::integral_constant<body::Kind, body::Kind::Sum>{}, tk::ReduceKernel::Sum) < 1e-12);
      CHECK(by_block(std::integral_constant<body::Kind, body::Kind::Max>{}, tk::ReduceKernel::Max) == 0);
      CHECK(by_block(std::integral_constant<body::Kind, body::Kind::Min>{}, tk::ReduceKernel::Min) == 0);
    }
    tk::Tensor ix_ref = tk::Tensor::empty({g.O, g.I}, DType::Int64, {}),
               ix = tk::Tensor::empty({g.O, g.I}, DType::Int64, {});
    for (bool is_max : {true, false}) {
      cpu.arg_reduce(ref, ix_ref, x, g, is_max);
      serial(out.numel(), [&](int64_t k) {
        body::arg_reduce(k, x.data<double>(), out.data<double>(), ix.data<int64_t>(), g, is_max);
      });
      CHECK(max_diff(out, ref) == 0 &&
            std::equal(ix.data<int64_t>(), ix.data<int64_t>() + ix.numel(), ix_ref.data<int64_t>()));
    }
    x.data<double>()[g.I] = 0.25;
    cpu.var(ref, x, g, 1, true);
    serial(out.numel(),
           [&](int64_t k) { body::var(k, x.data<double>(), out.data<double>(), g, double(g.R - 1), true); });
    CHECK(max_diff(out, ref) < 1e-12);
    tk::Tensor s_ref = tk::Tensor::empty(x.shape(), DType::Float64, {}),
               s = tk::Tensor::empty(x.shape(), DType::Float64, {});
    for (bool log : {false, true}) {
      cpu.softmax(s_ref, x, g, log);
      serial(g.O * g.I, [&](int64_t k) { body::softmax(k, x.data<double>(), s.data<double>(), g, log); });
      CHECK(max_diff(s, s_ref) < 1e-12);
    }
    cpu.cumsum(s_ref, x, g);
    serial(g.O * g.I, [&](int64_t k) { body::cumsum(k, x.data<double>(), s.data<double>(), g); });
    CHECK(max_diff(s, s_ref) == 0);
    // A stable argsort with ties and a NaN, both directions.
    for (int64_t i = 0; i < x.numel(); i += 3) x.data<double>()[i] = 1.0;
    x.data<double>()[1] = NAN;
    tk::Tensor so_ref = tk::Tensor::empty(x.shape(), DType::Int64, {}),
               so = tk::Tensor::empty(x.shape(), DType::Int64, {});
    tk::Tensor sorted = tk::Tensor::empty({g.O * g.I, g.R}, DType::Int64, {}),
               scratch = tk::Tensor::empty({g.O * g.I, g.R}, DType::Int64, {});
    for (bool desc : {false, true}) {
      cpu.argsort(so_ref, x, g, desc);
      serial(g.O * g.I, [&](int64_t l) {
        body::argsort_line(l, sorted.data<int64_t>(), scratch.data<int64_t>(), x.data<double>(), g, desc);
      });
      serial(so.numel(), [&](int64_t k) { body::scatter_sorted(k, so.data<int64_t>(), sorted.data<int64_t>(), g); });
      CHECK(std::equal(so.data<int64_t>(), so.data<int64_t>() + so.numel(), so_ref.data<int64_t>()));
    }
    // Gathers and their scatter-add gradient (the atomics done as plain adds here).
    tk::Tensor idx = tk::Tensor::empty({4}, DType::Int64, {});
    const int64_t picks[4] = {2, 0, g.R - 1, 2};
    std::copy(picks, picks + 4, idx.data<int64_t>());
    tk::Tensor gs_ref = tk::Tensor::empty({g.O, 4, g.I}, DType::Float64, {}),
               gs = tk::Tensor::empty({g.O, 4, g.I}, DType::Float64, {});
    cpu.index_select(gs_ref, x, idx, g);
    const int64_t row = g.I * 8;
    serial(g.O * 4 * row, [&](int64_t k) {
      body::gather_row_byte(k, static_cast<char*>(gs.data_ptr()), static_cast<const char*>(x.data_ptr()),
                            idx.data<int64_t>(), row, 4, g.R);
    });
    CHECK(max_diff(gs, gs_ref) == 0);
    tk::Tensor add_ref = tk::Tensor::empty(x.shape(), DType::Float64, {}),
               add = tk::full(x.shape(), 0, DType::Float64, {});
    cpu.index_add(add_ref, gs, idx, g);
    serial(gs.numel(), [&](int64_t k) {
      add.data<double>()[body::index_add_target(k, idx.data<int64_t>(), g, 4)] += gs.data<double>()[k];
    });
    CHECK(max_diff(add, add_ref) == 0);
  }
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
  const float cases[] = {1.0f + 0x1p-11f,
                         1.0f + 3 * 0x1p-11f,
                         0x1p-25f,
                         3 * 0x1p-26f,
                         0x1p-26f,
                         65519.0f,
                         65520.0f,
                         -65520.0f,
                         2047.5f,
                         2048.5f,
                         1e-8f,
                         -0.0f,
                         0.1f,
                         3.14159f,
                         0x1.ffep-15f};
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
  CHECK(float_to_bf16(3.4028235e38f) == 0x7f80);  // rounds past the largest bfloat16
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
        out[i] = std::isnan(vals[i])
                     ? 0x7e00u
                     : b | (uint32_t(f32_bits(back.data<float>()[i]) == f32_bits(half_to_float(b))) << 16);
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
    expect_error(
        tk::ErrorCode::SHAPE_MISMATCH, [&] { tk::matmul(m, m); }, "matmul shapes");
    expect_error(
        tk::ErrorCode::OUT_OF_MEMORY,
        [] {
          tk::Tensor::empty({int64_t(1) << 45, 4}, tk::DType::Float32, {});
        },
        "huge alloc");
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
  expect_error(
      tk::ErrorCode::INVALID_ARGUMENT,
      [&] {
        ag::backward({&y, 1}, {}, {});
      },
      "second backward");

  tk::Tensor e = op(tk::OpId::exp, {x});
  tk::Tensor z = op(tk::OpId::sum, {e});
  tk::Attrs a;
  tk::Tensor one = tk::Tensor::wrapped_scalar(1, tk::DType::Float64);
  tk::Tensor ins[] = {e, one};
  tk::call(tk::OpId::add_, ins, a);  // exp saved its output
  expect_error(
      tk::ErrorCode::INVALID_ARGUMENT,
      [&] {
        ag::backward({&z, 1}, {}, {});
      },
      "modified saved tensor");
  {
    ag::GradModeGuard off(false);
    CHECK(!ag::requires_grad(op(tk::OpId::mul, {x, x})));
  }
  CHECK(ag::requires_grad(op(tk::OpId::mul, {x, x})));
}

// The jit executor: runs a graph (y = relu(x * w + 1), w a constant, the batch a symbol), refuses
// malformed graphs, checks inputs, patches a symbolic reshape, and runs from several threads.
void graph_executor() {
  namespace g = tk::graph;
  using tk::DType;
  tk::Tensor w = tk::full({3}, 2.0, DType::Float32, tk::Device{});
  tk::Tensor one = tk::Tensor::wrapped_scalar(1, DType::Int64);
  auto node = [](tk::OpId op, std::vector<int> in, std::vector<int> out, std::vector<tk::Attr> attrs = {},
                 std::vector<g::SymPatch> p = {}) {
    g::Node n;
    n.op = op;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    n.attrs = tk::Attrs(std::move(attrs));
    n.patches = std::move(p);
    return n;
  };
  tk::Attr shape;  // reshape to [batch * 3], the first element patched per run
  shape.kind = tk::Attr::Kind::Ints;
  shape.ints = {6};
  std::vector<g::Node> nodes = {node(tk::OpId::mul, {0, 1}, {3}), node(tk::OpId::add, {3, 2}, {4}),
                                node(tk::OpId::relu, {4}, {5}),
                                node(tk::OpId::reshape, {5}, {6}, {shape}, {{0, 0, 0, 3, 0}})};
  g::Graph graph(7, {{1, w}, {2, one}}, {{0, DType::Float32, {-1, 3}}}, nodes, {6}, 1);
  tk::Tensor x = tk::full({4, 3}, -0.25, DType::Float32, tk::Device{});
  tk::Tensor in[] = {x};
  std::vector<tk::Tensor> out = graph.run(in);
  CHECK(out.size() == 1 && out[0].shape() == tk::DimVec({12}) && out[0].data<float>()[0] == 0.5f);
  // Concurrent runs share the constants and keep their own activations.
  std::vector<std::thread> ts;
  int bad = 0;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      tk::Tensor xi = tk::full({t + 1, 3}, double(t), DType::Float32, tk::Device{});
      tk::Tensor a[] = {xi};
      for (int r = 0; r < 200; ++r) {
        std::vector<tk::Tensor> o = graph.run(a);
        if (o[0].numel() != 3 * (t + 1) || o[0].data<float>()[0] != float(2 * t + 1)) ++bad;
      }
    });
  for (auto& th : ts) th.join();
  CHECK(bad == 0);
  // Inputs are checked.
  tk::Tensor wrong = tk::full({4, 2}, 0.0, DType::Float32, tk::Device{});
  tk::Tensor w_in[] = {wrong};
  expect_error(
      tk::ErrorCode::SHAPE_MISMATCH, [&] { graph.run(w_in); }, "graph input shape");
  tk::Tensor i64 = tk::full({4, 3}, 0.0, DType::Int64, tk::Device{});
  tk::Tensor d_in[] = {i64};
  expect_error(
      tk::ErrorCode::DTYPE_MISMATCH, [&] { graph.run(d_in); }, "graph input dtype");
  // Malformed graphs are refused at construction.
  expect_error(
      tk::ErrorCode::INVALID_ARGUMENT,
      [&] {
        g::Graph(3, {}, {{0, DType::Float32, {3}}}, {node(tk::OpId::relu, {1}, {2})}, {2}, 0);
      },
      "read before write");
  expect_error(
      tk::ErrorCode::INVALID_ARGUMENT,
      [&] {
        g::Graph(2, {}, {{0, DType::Float32, {3}}}, {node(tk::OpId::relu, {0}, {0})}, {0}, 0);
      },
      "slot written twice");
  expect_error(
      tk::ErrorCode::INVALID_ARGUMENT,
      [&] {
        g::Graph(2, {}, {{0, DType::Float32, {-2}}}, {node(tk::OpId::relu, {0}, {1})}, {1}, 1);
      },
      "unknown symbol");
  expect_error(
      tk::ErrorCode::INVALID_ARGUMENT,
      [&] {
        g::Graph(2, {}, {{0, DType::Float32, {3}}}, {node(tk::OpId(-3), {0}, {1})}, {1}, 0);
      },
      "bad op id");
}

// The JSON number-array scanner (the server's fast path): values as strtod gives them; arrays with
// anything else, keys inside strings and malformed text left alone; every prefix of a text scanned
// without reading past it (ASan's build checks that).
void number_text() {
  namespace tx = tk::text;
  auto scan = [](const std::string& s) { return tx::find_number_arrays(s.data(), s.size(), "data"); };
  {
    auto r = scan(R"({"inputs":[{"name":"x","data":[1, -2.5e3 ,0.1, [3,4]],"shape":[4]}]})");
    CHECK(r.arrays.size() == 1 && r.arrays[0].count == 5 && r.values.size() == 5);
    CHECK(r.values[0] == 1 && r.values[1] == -2500 && r.values[2] == 0.1 && r.values[4] == 4);
    CHECK(r.arrays[0].begin == std::string(R"({"inputs":[{"name":"x","data":)").size());
  }
  const char* left_alone[] = {
      R"({"data":["1",2]})",        R"({"data":[1,true]})", R"({"data":[1,null]})", R"({"data":[1,]})",
      R"({"data":[01]})",           R"({"data":[+1]})",     R"({"data":[.5]})",     R"({"data":[1e400]})",
      R"({"data":[NaN]})",          R"({"data":[1 2]})",    R"({"data":[[1],{}]})", R"({"data":[1)",
      R"({"id":"\"data\":[1,2]"})", R"({"dat":[1]})",       R"({"data" [1]})",
  };
  for (const char* t : left_alone) {
    auto r = scan(t);
    if (!r.arrays.empty()) std::fprintf(stderr, "FAIL: number_text took an array from %s\n", t);
    CHECK(r.arrays.empty());
  }
  {
    auto r = scan(R"({"a":{"data":[]},"b":{"data":[[],[7]]},"c":"data","data":[-0,1E+2]})");
    CHECK(r.arrays.size() == 3 && r.values.size() == 3 && r.values[0] == 7 && std::signbit(r.values[1]) &&
          r.values[2] == 100);
  }
  // 17-digit values read as correctly rounded doubles
  {
    auto r = scan(R"({"data":[0.8414709848078965,-0.7568024953079282,9007199254740993]})");
    CHECK(r.values.size() == 3 && r.values[0] == 0.8414709848078965 && r.values[1] == -0.7568024953079282 &&
          r.values[2] == 9007199254740992.0);
  }
  const std::string full =
      R"({"id":"q","inputs":[{"name":"x","datatype":"FP32","shape":[2,2],"data":[[1.5,2],[3,4e-1]]}]})";
  const size_t closes = full.find("]]}") + 2;  // the array is whole from this prefix length on
  for (size_t n = 0; n <= full.size(); ++n) {
    std::vector<char> heap(full.begin(), full.begin() + n);  // exactly n bytes, so ASan sees an overread
    auto r = tx::find_number_arrays(heap.data(), n, "data");
    CHECK(r.arrays.size() == (n >= closes ? 1u : 0u));
  }
}

int main() {
  layout_math();
  autograd_engine();
  promotion();
  half_conversions();
  caching_allocator();
  cuda_bodies();
  ops_and_memory();
  philox_known_answer();
  graph_executor();
  number_text();
  std::printf("%s\n", failures ? "core tests FAILED" : "core tests passed");
  return failures ? 1 : 0;
}
