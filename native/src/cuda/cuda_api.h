// The CUDA runtime surface the rest of the core uses. Implemented in cuda/*.cu when tensorkit is
// built with CUDA, and by cuda/no_cuda.cpp (every call a CUDA_ERROR saying so) otherwise.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tk/device.h"  // also memory_stats, reset_peak_memory_stats, synchronize

namespace tk::cuda {

// From the device's caching allocator; OUT_OF_MEMORY naming `op` after emptying the cache and
// retrying once. `nbytes` is passed back unchanged to free.
void* alloc(size_t nbytes, int device, const char* op);
void free(void* p, size_t nbytes, int device);
int64_t cached_bytes();
enum class CopyKind { HostToDevice, DeviceToHost, DeviceToDevice };
// Ordered on the device's stream. Host memory is pageable: it is staged through pinned buffers.
// Returns once `dst` holds the data (host destinations) or the copy is queued (device ones).
void memcpy(void* dst, const void* src, size_t nbytes, CopyKind kind, int device);

}  // namespace tk::cuda
