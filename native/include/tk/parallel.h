// One process-wide std::thread pool for CPU kernels.
#pragma once
#include <cstdint>
#include <functional>

namespace tk {

int get_num_threads();
// n >= 1; INVALID_ARGUMENT otherwise. Takes effect for the next parallel region.
void set_num_threads(int n);

// Splits [begin, end) into at most get_num_threads() contiguous chunks of at least `grain`
// elements and runs fn(chunk_begin, chunk_end) on them, the caller taking the first. Runs inline
// when the range is small, when called from inside a parallel region, or when another thread
// already uses the pool. Exceptions thrown by fn are rethrown on the caller.
void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn);

}  // namespace tk
