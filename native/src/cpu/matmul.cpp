// The Backend's gemm entry: tensors to the typed GEMM of cpu/gemm/ (strides passed through, so
// transposed and sliced operands are read in place by the packing routines).
#include "backend.h"
#include "cpu/cpu.h"
#include "cpu/gemm/gemm.h"

namespace tk::cpu {
namespace {

void gemm_tensors(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
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
      gemm(g);
    }
  });
}

}  // namespace

void register_matmul(Backend& b) { b.gemm = gemm_tensors; }

}  // namespace tk::cpu
