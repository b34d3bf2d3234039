// One process-wide std::thread pool for CPU kernels, shared by every thread that calls in.
#pragma once
#include <cstdint>
#include <functional>

namespace tk {

// Threads parallel regions started on the calling thread may use (default: one per CPU the process
// may run on, its affinity mask: a rank `tensorkit run` bound to one core gets one). The
// setting is per thread, hence per JS environment; the pool's workers are shared by all.
int get_num_threads();
// n in 1..1024; INVALID_ARGUMENT otherwise. Takes effect for the calling thread's next region.
void set_num_threads(int n);

// Splits [begin, end) into at most get_num_threads() contiguous chunks of at least `grain`
// elements and runs fn(chunk_begin, chunk_end) on them, the caller taking the first. Runs inline
// when the range is small, when called from inside a parallel region, or when another thread
// already uses the pool. Exceptions thrown by fn are rethrown on the caller.
void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace tk
