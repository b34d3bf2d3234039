// The CUDA kernel table. Families with kernels register them here when tensorkit is built with
// CUDA; a null entry reports NOT_IMPLEMENTED on cuda (backend.h). Storage, allocation and
// host<->device copies are in cuda/runtime.cu.
#include "backend.h"

namespace tk {
#ifdef TK_WITH_CUDA
namespace cuda {
void register_elementwise(Backend& b);
}  // namespace cuda
#endif

const Backend cuda_backend = [] {
  Backend b{};
#ifdef TK_WITH_CUDA
  cuda::register_elementwise(b);
#endif
  return b;
}();
}  // namespace tk
