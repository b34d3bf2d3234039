// float16 and bfloat16 on a backend whose kernels are written for the compute dtypes (the CPU's,
// and for now CUDA's). This adapter sits in front of every kernel family except copy and fill
// (which handle 16-bit storage natively on both devices). When a kernel is called with 16-bit
// tensors, each of them is converted to a float32 copy, the float32 kernel runs, and the tensors
// the kernel writes are rounded back. So every op computes in float32 and rounds its result once,
// as PyTorch's CPU kernels do for these dtypes; the op layer and autograd see 16-bit tensors
// throughout and need no 16-bit code of their own.
#include <tuple>
#include <type_traits>
#include <vector>

#include "backend.h"

namespace tk {
namespace {

// The unadapted table of each adapted backend, by the tag with_half_adapter was given.
const Backend* g_raw_tables[2] = {nullptr, nullptr};

// The Tensor arguments a kernel writes, as a bit mask over its Tensor arguments in order (the
// contracts in backend.h). Most kernels write their first; the rest are listed.
template <auto M> inline constexpr unsigned kWrites = 0b1;
template <> inline constexpr unsigned kWrites<& Backend::arg_reduce> = 0b11;
template <> inline constexpr unsigned kWrites<& Backend::max_pool2d> = 0b11;
template <> inline constexpr unsigned kWrites<& Backend::sdpa> = 0b11;  // out, lse
template <> inline constexpr unsigned kWrites<& Backend::sdpa_backward> = 0b111;  // dq, dk, dv
// batch_norm writes y and, in training, the statistics (read otherwise: never 16-bit, as below)
template <> inline constexpr unsigned kWrites<& Backend::batch_norm> = 0b111;
template <> inline constexpr unsigned kWrites<& Backend::batch_norm_backward> = 0b111;  // gx, gw, gb
template <> inline constexpr unsigned kWrites<& Backend::layer_norm> = 0b111;  // y, mean, rstd
template <> inline constexpr unsigned kWrites<& Backend::layer_norm_backward> = 0b111;  // gx, gw, gb
// ctc_loss writes nll and alpha (alpha is never 16-bit: the op layer makes it float32)
template <> inline constexpr unsigned kWrites<& Backend::ctc_loss> = 0b11;
// The optimizer steps write the parameter and its state, everything but the gradient (second).
template <> inline constexpr unsigned kWrites<& Backend::sgd_step> = ~0b10u;
template <> inline constexpr unsigned kWrites<& Backend::adam_step> = ~0b10u;
template <> inline constexpr unsigned kWrites<& Backend::rmsprop_step> = ~0b10u;
template <> inline constexpr unsigned kWrites<& Backend::adagrad_step> = ~0b10u;
template <> inline constexpr unsigned kWrites<& Backend::adadelta_step> = ~0b10u;

// Kernels that also read what they write (the rest overwrite their outputs entirely, so those
// start as uninitialised float32 tensors instead of conversions).
template <auto M> inline constexpr bool kReadsWritten = false;
template <> inline constexpr bool kReadsWritten<& Backend::gemm> = true;  // beta * out
template <> inline constexpr bool kReadsWritten<& Backend::col2im> = true;  // adds into the image
template <> inline constexpr bool kReadsWritten<& Backend::scatter> = true;  // writes into self's copy
template <> inline constexpr bool kReadsWritten<& Backend::sgd_step> = true;
template <> inline constexpr bool kReadsWritten<& Backend::adam_step> = true;
template <> inline constexpr bool kReadsWritten<& Backend::rmsprop_step> = true;
template <> inline constexpr bool kReadsWritten<& Backend::adagrad_step> = true;
template <> inline constexpr bool kReadsWritten<& Backend::adadelta_step> = true;

bool is_half_tensor(const Tensor& t) { return t.defined() && is_half(t.dtype()); }
template <class T> bool any_half(const T& a) {
  if constexpr (std::is_same_v<T, Tensor>)
    return is_half_tensor(a);
  else
    return false;
}

template <int Tag, auto M> struct Adapt;
template <int Tag, class R, class... A, R (*Backend::*M)(A...)> struct Adapt<Tag, M> {
  static R run(A... args) {
    const Backend* table = g_raw_tables[Tag];
    auto raw = table->*M;
    if (!(any_half(args) || ...)) return raw(args...);
    struct Written {
      Tensor half, f32;
    };
    std::vector<Written> written;
    unsigned pos = 0;
    auto convert = [&]<class T>(const T& a) -> T {
      if constexpr (std::is_same_v<T, Tensor>) {
        const unsigned i = pos++;
        if (!is_half_tensor(a)) return a;
        const bool writes = i < 32 && (kWrites<M> >> i & 1u);
        Tensor f = Tensor::empty(a.shape(), DType::Float32, a.device(), "float16");
        if (!writes || kReadsWritten<M>) table->copy(f, a);
        if (writes) written.push_back({a, f});
        return f;
      } else {
        return a;
      }
    };
    // Braced initialisation converts the arguments left to right, so `pos` counts in order.
    std::tuple<std::decay_t<A>...> args32{convert(args)...};
    auto round_back = [&] {
      for (const Written& w : written) table->copy(w.half, w.f32);
    };
    if constexpr (std::is_void_v<R>) {
      std::apply(raw, args32);
      round_back();
    } else {
      R r = std::apply(raw, args32);
      if (r) round_back();  // the bool kernels write nothing when they decline (return false)
      return r;
    }
  }
};

}  // namespace

template <int Tag> Backend adapt(const Backend& raw) {
  // Listing every member: adding one to Backend without listing it here fails this check.
  static_assert(sizeof(Backend) == 64 * sizeof(void*),
                "a Backend member was added or removed: update the list in with_half_adapter");
  // Not adapted: fused_elementwise (the graph fuses float32 and float64 chains only), image_crop
  // and image_hflip (they move elements of any dtype as bytes), and the dense factorizations
  // (cholesky .. qr: the op layer hands them float64 copies only).
  g_raw_tables[Tag] = &raw;
  Backend b = raw;
  // A list of macro calls, kept as written.
  // clang-format off
#define TK_ADAPT(m) \
  if (raw.m) b.m = Adapt<Tag, &Backend::m>::run;
  TK_ADAPT(unary) TK_ADAPT(binary) TK_ADAPT(where) TK_ADAPT(arange) TK_ADAPT(eye) TK_ADAPT(random)
  TK_ADAPT(reduce) TK_ADAPT(arg_reduce) TK_ADAPT(var) TK_ADAPT(softmax) TK_ADAPT(cumsum)
  TK_ADAPT(cumprod) TK_ADAPT(cumprod_backward) TK_ADAPT(gather) TK_ADAPT(scatter)
  TK_ADAPT(sdpa) TK_ADAPT(sdpa_backward) TK_ADAPT(cross_entropy) TK_ADAPT(cross_entropy_backward)
  TK_ADAPT(batch_norm) TK_ADAPT(batch_norm_backward) TK_ADAPT(layer_norm) TK_ADAPT(layer_norm_backward)
  TK_ADAPT(ctc_loss) TK_ADAPT(ctc_loss_backward)
  TK_ADAPT(gemm) TK_ADAPT(gemm_fused) TK_ADAPT(im2col) TK_ADAPT(col2im) TK_ADAPT(conv3x3_winograd)
  TK_ADAPT(conv3x3_winograd_weight_grad) TK_ADAPT(conv_direct) TK_ADAPT(conv_direct_weight_grad)
  TK_ADAPT(max_pool2d)
  TK_ADAPT(max_pool2d_backward) TK_ADAPT(avg_pool2d) TK_ADAPT(avg_pool2d_backward)
  TK_ADAPT(adaptive_avg_pool2d) TK_ADAPT(adaptive_avg_pool2d_backward) TK_ADAPT(embedding)
  TK_ADAPT(embedding_backward) TK_ADAPT(index_select) TK_ADAPT(index_add) TK_ADAPT(argsort)
  TK_ADAPT(bincount) TK_ADAPT(sgd_step) TK_ADAPT(adam_step) TK_ADAPT(rmsprop_step)
  TK_ADAPT(adagrad_step) TK_ADAPT(adadelta_step) TK_ADAPT(image_normalize) TK_ADAPT(image_resize) TK_ADAPT(image_adjust)
#undef TK_ADAPT
      // clang-format on
      return b;  // copy and fill stay raw: they convert 16-bit storage themselves
}

Backend with_half_adapter(const Backend& raw, int tag) {
  TK_ASSERT(tag == 0 || tag == 1);
  return tag == 0 ? adapt<0>(raw) : adapt<1>(raw);
}

}  // namespace tk
