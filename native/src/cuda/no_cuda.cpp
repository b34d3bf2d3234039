// Built when tensorkit is compiled without CUDA: the device reports zero GPUs and every CUDA
// operation is a CUDA_ERROR that says how to get a CUDA build.
#include "cuda/cuda_api.h"
#include "tk/device.h"
#include "tk/error.h"

namespace tk::cuda {
namespace {
[[noreturn]] void unavailable(const char* what) {
  raise(ErrorCode::CUDA_ERROR, what,
        ": cuda is not available: tensorkit was built without CUDA (rebuild with nvcc on PATH "
        "and TK_CUDA=ON)");
}
}  // namespace

bool compiled() { return false; }
int device_count() { return 0; }
std::string status() { return "tensorkit was built without CUDA"; }
void* alloc(size_t, int, const char* op) { unavailable(op); }
void free(void*, size_t, int) {}
void empty_cache() {}
int64_t cached_bytes() { return 0; }
AllocatorStats memory_stats(int) { unavailable("cuda.memory"); }
void reset_peak_memory_stats(int) { unavailable("cuda.resetPeakMemoryStats"); }
void memcpy(void*, const void*, size_t, CopyKind, int) { unavailable("to"); }
void synchronize(int) { unavailable("cuda.synchronize"); }

}  // namespace tk::cuda
