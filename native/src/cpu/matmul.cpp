// The Backend's gemm entry: tensors to the typed GEMM of cpu/gemm/ (strides passed through, so
// transposed and sliced operands are read in place by the packing routines).
#include "backend.h"
#include "cpu/cpu.h"
#include "cpu/gemm/gemm.h"
#include "tk/cpu_info.h"

#include <array>
#include <memory>
#include <mutex>
#include <vector>

namespace tk::cpu {
namespace {

// The backend's gemm (bias and a_mask undefined, relu false) and gemm_fused (alpha 1, beta 0).
void gemm_impl(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta, const Tensor& bias,
               const Tensor& a_mask, bool relu) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    if constexpr (std::is_same_v<T, bool>) {
      TK_ASSERT(!"gemm on bool");
    } else {
      GemmArgs<T> g;
      g.batch = out.shape()[0], g.M = out.shape()[1], g.N = out.shape()[2], g.K = a.shape()[2];
      g.alpha = T(alpha), g.beta = T(beta);
      g.a = a.data<T>(), g.a_bs = a.strides()[0], g.a_rs = a.strides()[1], g.a_cs = a.strides()[2];
      g.b = b.data<T>(), g.b_bs = b.strides()[0], g.b_rs = b.strides()[1], g.b_cs = b.strides()[2];
      g.c = out.data<T>(), g.c_bs = out.strides()[0], g.c_rs = out.strides()[1], g.c_cs = out.strides()[2];
      if (bias.defined()) g.bias = bias.data<T>(), g.bias_rs = 0, g.bias_cs = bias.strides()[0];
      if (a_mask.defined())
        g.a_mask = a_mask.data<T>(), g.am_bs = a_mask.strides()[0], g.am_rs = a_mask.strides()[1],
        g.am_cs = a_mask.strides()[2];
      g.relu = relu;
      std::shared_ptr<const std::vector<T>> packed;
      if (Storage::Derived* d = b.storage()->derived(); d && (g.batch == 1 || g.b_bs == 0) && gemm_packs_b(g)) {
        // A graph's weight: its panels are packed once and reused while the weight is unchanged.
        const std::array<int64_t, 8> key{b.offset(),
                                         g.b_rs,
                                         g.b_cs,
                                         g.K,
                                         g.N,
                                         int64_t(sizeof(T)),
                                         int64_t(out.dtype()),
                                         int64_t(gemm_choice().level)};  // the packing is per kernel
        const uint64_t version = b.storage()->version();
        {
          std::lock_guard<std::mutex> lock(d->mu);
          if (d->version == version && d->key == key) packed = std::static_pointer_cast<const std::vector<T>>(d->data);
        }
        if (!packed) {
          packed = std::make_shared<const std::vector<T>>(pack_b_whole(g));
          std::lock_guard<std::mutex> lock(d->mu);
          d->data = packed, d->version = version, d->key = key;
        }
        g.packed_b = packed->data();
      }
      gemm(g);
    }
  });
}

void gemm_tensors(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
  gemm_impl(out, a, b, alpha, beta, Tensor(), Tensor(), false);
}

void gemm_fused(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& a_mask,
                bool relu) {
  gemm_impl(out, a, b, 1, 0, bias, a_mask, relu);
}

}  // namespace

void register_matmul(Backend& b) {
  b.gemm = gemm_tensors;
  b.gemm_fused = gemm_fused;
}

}  // namespace tk::cpu
