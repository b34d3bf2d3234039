// Shared by the CUDA kernel files (nvcc only): the device's stream, launch checks, grid-stride
// launches, and the element-wise loop over strided, broadcast operands (its index arithmetic is
// body::Geometry in cuda/bodies.h).
#pragma once
#include <cuda_runtime.h>

#include <algorithm>

#include "backend.h"
#include "cuda/bodies.h"
#include "tk/error.h"

namespace tk::cuda {

// The device's stream (created on first use); every kernel of that device is queued on it.
cudaStream_t stream_of(int device);

// Raises CUDA_ERROR naming `op` if the last launch failed (bad configuration, missing kernel
// image for this GPU's architecture).
inline void check_launch(const char* op) {
  cudaError_t e = cudaGetLastError();
  TK_CHECK(e == cudaSuccess, CUDA_ERROR, op, ": ", cudaGetErrorString(e));
}

// Sets the current device and returns its stream, for a launch on `t`'s device.
inline cudaStream_t prepare(const Tensor& t, const char* op) {
  cudaError_t e = cudaSetDevice(t.device().index);
  TK_CHECK(e == cudaSuccess, CUDA_ERROR, op, ": ", cudaGetErrorString(e));
  return stream_of(t.device().index);
}

constexpr int kThreads = 256;
// Grid-stride loops: enough blocks to fill any current GPU, never more than the work needs.
inline unsigned blocks_for(int64_t n) {
  return unsigned(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, 1 << 16)));
}

// A grid-stride loop: k runs over [0, n) across every thread of the grid.
#define TK_GRID_STRIDE(k, n) \
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < (n); k += int64_t(gridDim.x) * blockDim.x)

// Launches kernel(args...) with enough grid-stride threads for n items of work on t's device;
// nothing when n is 0 (an empty grid is a launch error).
template <class... KArgs, class... Args>
void launch(void (*kernel)(KArgs...), int64_t n, const Tensor& t, const char* op, Args... args) {
  if (n <= 0) return;
  cudaStream_t s = prepare(t, op);
  kernel<<<blocks_for(n), kThreads, 0, s>>>(args...);
  check_launch(op);
}

// fn(base, off) for every element i < n of the geometry.
template <int N, class Fn> __global__ void for_each_kernel(body::Geometry<N> g, Fn fn, int64_t n) {
  TK_GRID_STRIDE(i, n) {
    int64_t off[N];
    g.offsets(i, off);
    fn(g.base, off);
  }
}

template <int N, class Fn> void for_each(const Tensor* const (&ops)[N], Fn fn, const char* op) {
  const int64_t n = ops[0]->numel();
  launch(for_each_kernel<N, Fn>, n, *ops[0], op, body::Geometry<N>(ops), fn, n);
}

}  // namespace tk::cuda
