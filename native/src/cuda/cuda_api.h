// The CUDA runtime surface the rest of the core uses. Implemented in cuda/*.cu when tensorkit is
// built with CUDA, and by cuda/no_cuda.cpp (every call a CUDA_ERROR saying so) otherwise.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tk::cuda {

void* alloc(size_t nbytes, int device);  // from the caching allocator; OUT_OF_MEMORY on failure
void free(void* p, size_t nbytes, int device);
void empty_cache();
int64_t cached_bytes();
enum class CopyKind { HostToDevice, DeviceToHost, DeviceToDevice };
void memcpy(void* dst, const void* src, size_t nbytes, CopyKind kind, int device);
void synchronize(int device);

}  // namespace tk::cuda
