// The CUDA kernel table. Families with kernels register them here when tensorkit is built with
// CUDA; a null entry reports NOT_IMPLEMENTED on cuda (backend.h). float16/bfloat16 run through
// the same float32 adapter as on the CPU. Storage, allocation and host<->device copies are in
// cuda/runtime.cu.
#include "backend.h"

namespace tk {
#ifdef TK_WITH_CUDA
namespace cuda {
void register_elementwise(Backend& b);
void register_reduce(Backend& b);
void register_matmul(Backend& b);
void register_optim(Backend& b);
void register_conv(Backend& b);
void register_pool(Backend& b);
void register_index(Backend& b);
void register_creation(Backend& b);
void register_linalg(Backend& b);
}  // namespace cuda
#endif

const Backend cuda_backend = [] {
  static Backend b{};
#ifdef TK_WITH_CUDA
  cuda::register_elementwise(b);
  cuda::register_reduce(b);
  cuda::register_matmul(b);
  cuda::register_optim(b);
  cuda::register_conv(b);
  cuda::register_pool(b);
  cuda::register_index(b);
  cuda::register_creation(b);
  cuda::register_linalg(b);
#endif
  return with_half_adapter(b, 1);
}();
}  // namespace tk
