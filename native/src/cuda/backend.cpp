// The CUDA kernel table. Every entry is null until the CUDA kernels issue lands, so each op on a
// CUDA tensor reports NOT_IMPLEMENTED; storage, allocation and host<->device copies already work
// (cuda/*.cu) when tensorkit is built with CUDA.
#include "backend.h"

namespace tk {
const Backend cuda_backend{};
}  // namespace tk
