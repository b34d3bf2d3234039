// The all-reduce through a shared window (shared_reduce.h). Every MPI call runs on the
// communication thread.
#include "shared_reduce.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "tk/half.h"

namespace tk::dist {
namespace {

using tk::kernels::bf16_to_float;
using tk::kernels::float_to_bf16;
using tk::kernels::float_to_half;
using tk::kernels::half_to_float;

// How an element is stored (T) and reduced (A): itself, or a 16-bit float widened to float32.
template <class T> struct Same {
  using Stored = T;
  using A = T;
  static A load(T x) { return x; }
  static T store(A a) { return a; }
};
template <float (*Load)(uint16_t), uint16_t (*Store)(float)> struct Widened {
  using Stored = uint16_t;
  using A = float;
  static A load(uint16_t x) { return Load(x); }
  static uint16_t store(A a) { return Store(a); }
};

enum Combine { kSum, kProduct, kMax, kMin, kOr, kAnd };

template <int C, class A> A combine(A x, A y) {
  if constexpr (C == kOr) {
    return A(x | y);
  } else if constexpr (C == kAnd) {
    return A(x & y);
  } else if constexpr (C == kSum || C == kProduct) {
    if constexpr (std::is_integral_v<A>) {  // wraps, as MPI's integer sums do (no signed overflow)
      using U = std::make_unsigned_t<A>;
      return A(C == kSum ? U(U(x) + U(y)) : U(U(x) * U(y)));
    } else {
      return C == kSum ? x + y : x * y;
    }
  } else {
    if constexpr (std::is_floating_point_v<A>)
      if (x != x || y != y) return x + y;  // NaN wins
    return C == kMax ? (x > y ? x : y) : (x < y ? x : y);
  }
}

constexpr size_t kBlock = 256;

// out[k][i] = in[0][i] (+) in[1][i] (+) ... (+) in[p-1][i] for every output k, ranks in order;
// Avg divides by `size`. Blockwise, so that each pass over a block is a simple loop the compiler
// vectorises.
template <class E, int C>
void reduce(const char* const* in, int p, char* const* outs, int nout, size_t n, int size, bool avg) {
  using T = typename E::Stored;
  using A = typename E::A;
  A acc[kBlock];
  for (size_t b = 0; b < n; b += kBlock) {
    const size_t m = std::min(kBlock, n - b);
    const T* x0 = reinterpret_cast<const T*>(in[0]) + b;
    for (size_t i = 0; i < m; ++i) acc[i] = E::load(x0[i]);
    for (int r = 1; r < p; ++r) {
      const T* x = reinterpret_cast<const T*>(in[r]) + b;
      for (size_t i = 0; i < m; ++i) acc[i] = combine<C>(acc[i], E::load(x[i]));
    }
    if constexpr (std::is_floating_point_v<A>) {
      if (avg && (size & (size - 1)) == 0) {  // 1/size is exact: the same rounding as a division
        const A s = A(1) / A(size);
        for (size_t i = 0; i < m; ++i) acc[i] *= s;
      } else if (avg) {
        const A d = A(size);
        for (size_t i = 0; i < m; ++i) acc[i] /= d;
      }
    }
    for (int k = 0; k < nout; ++k) {
      T* out = reinterpret_cast<T*>(outs[k]) + b;
      for (size_t i = 0; i < m; ++i) out[i] = E::store(acc[i]);
    }
  }
}

using Kernel = void (*)(const char* const*, int, char* const*, int, size_t, int, bool);

// The all-reduce DDP runs: two ranks' floating sums (or averages), written to one buffer (the
// slots) or to both ranks' (in place), as one fused loop. The blockwise kernel's passes over each
// block took 450-580 us in place for the 784-1024-1024-10 MLP's 7.4 MB gradient, this 150-160 us
// (AMD EPYC Zen 5, 2 ranks; through the slots, where it writes one output, the same 7.4 MB took
// 1.3 ms and now 0.63-0.71 ms of CPU).
template <class E, int C>
void reduce_pair(const char* const* in, int p, char* const* outs, int nout, size_t n, int size, bool avg) {
  using T = typename E::Stored;
  // (in place, the outputs are the inputs; through the slots, one output)
  if (p != 2 || size != 2 || nout > 2 || (nout == 2 && (outs[0] != in[0] || outs[1] != in[1]))) {
    reduce<E, C>(in, p, outs, nout, n, size, avg);
    return;
  }
  const T* a = reinterpret_cast<const T*>(in[0]);
  const T* b = reinterpret_cast<const T*>(in[1]);
  T* x = reinterpret_cast<T*>(outs[0]);
  const T s = avg ? T(0.5) : T(1);  // 1/2 is exact: the same rounding as a division
  if (nout == 1) {
    for (size_t i = 0; i < n; ++i) x[i] = (a[i] + b[i]) * s;
    return;
  }
  T* y = reinterpret_cast<T*>(outs[1]);
  for (size_t i = 0; i < n; ++i) {
    const T v = (a[i] + b[i]) * s;
    x[i] = v;
    y[i] = v;
  }
}

template <class E> Kernel by_op(Reduce r) {
  switch (r) {
    case Reduce::Sum:
    case Reduce::Avg:
      if constexpr (std::is_floating_point_v<typename E::Stored>) return &reduce_pair<E, kSum>;
      return &reduce<E, kSum>;
    case Reduce::Product: return &reduce<E, kProduct>;
    case Reduce::Max: return &reduce<E, kMax>;
    case Reduce::Min: return &reduce<E, kMin>;
  }
  return nullptr;
}

Kernel kernel(DType d, Reduce r) {
  switch (d) {
    case DType::Float32: return by_op<Same<float>>(r);
    case DType::Float64: return by_op<Same<double>>(r);
    case DType::Int32: return by_op<Same<int32_t>>(r);
    case DType::Int64: return by_op<Same<int64_t>>(r);
    case DType::Float16: return by_op<Widened<half_to_float, float_to_half>>(r);
    case DType::BFloat16: return by_op<Widened<bf16_to_float, float_to_bf16>>(r);
    case DType::Bool:  // logical or for sum and max, and for min and product (as MPI_LOR / MPI_LAND)
      return (r == Reduce::Sum || r == Reduce::Max) ? &reduce<Same<uint8_t>, kOr> : &reduce<Same<uint8_t>, kAnd>;
  }
  return nullptr;
}

}  // namespace

void SharedReducer::init(bool enabled) {
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  if (size_ < 2) return;  // every rank sees the same size: all return here, or none
  int local = 0;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &comm_) == MPI_SUCCESS) {
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_size(comm_, &local);
  } else {
    comm_ = MPI_COMM_NULL;
  }
  // The ranks agree before the collective allocation (`enabled` comes from each rank's environment).
  int ok = enabled && local == size_ ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (ok) {
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "alloc_shared_noncontig", "true");  // each rank's slots in its own pages
    char* base = nullptr;
    ok = MPI_Win_allocate_shared(MPI_Aint(2 * kSlotBytes), 1, info, comm_, &base, &win_) == MPI_SUCCESS;
    MPI_Info_free(&info);
    if (ok) {
      MPI_Win_set_errhandler(win_, MPI_ERRORS_RETURN);
      slots_.assign(size_t(2 * size_), nullptr);
      for (int r = 0; r < size_ && ok; ++r) {
        MPI_Aint bytes = 0;
        int disp = 0;
        char* p = nullptr;
        ok = MPI_Win_shared_query(win_, r, &bytes, &disp, &p) == MPI_SUCCESS && bytes >= 2 * kSlotBytes;
        slots_[size_t(r)] = p;
        slots_[size_t(size_ + r)] = p + kSlotBytes;
      }
      // A passive epoch for the window's life: MPI_Win_sync then orders this rank's accesses.
      if (ok) ok = MPI_Win_lock_all(MPI_MODE_NOCHECK, win_) == MPI_SUCCESS;
      const int pid = int(getpid());
      pids_.assign(size_t(size_), 0);
      if (ok) ok = MPI_Allgather(&pid, 1, MPI_INT, pids_.data(), 1, MPI_INT, comm_) == MPI_SUCCESS;
    } else {
      win_ = MPI_WIN_NULL;
    }
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  }
  usable_ = ok != 0;
}

void SharedReducer::free() {
  usable_ = false;
  for (const Mapping& m : maps_) munmap(m.base, m.bytes);
  maps_.clear();
  if (win_ != MPI_WIN_NULL) {
    MPI_Win_unlock_all(win_);
    MPI_Win_free(&win_);
  }
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

bool SharedReducer::sync() {
  MPI_Win_sync(win_);
  if (MPI_Barrier(comm_) != MPI_SUCCESS) return false;
  MPI_Win_sync(win_);
  return true;
}

std::string SharedReducer::all_reduce(void* buf, int64_t count, DType dtype, Reduce op) {
  slot_calls_.fetch_add(1, std::memory_order_relaxed);
  const Kernel k = kernel(dtype, op);
  const size_t item = item_size(dtype);
  const size_t n = size_t(count), chunk = size_t(kSlotBytes) / item;
  const size_t align = 64 / item;  // segments start on cache lines: no line has two writers
  auto* data = static_cast<char*>(buf);
  std::vector<const char*> in(static_cast<size_t>(size_));
  for (size_t off = 0; off < n; off += chunk, set_ ^= 1) {
    const size_t m = std::min(chunk, n - off);
    char* const* slot = &slots_[size_t(set_ * size_)];
    std::memcpy(slot[rank_], data + off * item, m * item);
    if (!sync()) return "allReduce: MPI_Barrier failed (shared memory)";
    const size_t seg = ((m + size_t(size_) - 1) / size_t(size_) + align - 1) / align * align;
    const auto first = [&](int r) { return std::min(m, size_t(r) * seg); };
    const auto last = [&](int r) { return std::min(m, size_t(r) * seg + seg); };
    if (last(rank_) > first(rank_)) {
      for (int r = 0; r < size_; ++r) in[size_t(r)] = slot[r] + first(rank_) * item;
      char* out = slot[rank_] + first(rank_) * item;
      k(in.data(), size_, &out, 1, last(rank_) - first(rank_), size_, op == Reduce::Avg);
    }
    if (!sync()) return "allReduce: MPI_Barrier failed (shared memory)";
    for (int r = 0; r < size_; ++r)
      if (last(r) > first(r))
        std::memcpy(data + (off + first(r)) * item, slot[r] + first(r) * item, (last(r) - first(r)) * item);
  }
  return "";
}

std::string SharedReducer::fd_path(int r, int fd) const {
  return "/proc/" + std::to_string(pids_[size_t(r)]) + "/fd/" + std::to_string(fd);
}

void SharedReducer::drop_closed(int r) {
  for (size_t i = 0; i < maps_.size();) {
    const Mapping& m = maps_[i];
    struct stat st {};
    if (m.rank == r && (stat(fd_path(r, m.fd).c_str(), &st) != 0 || uint64_t(st.st_ino) != m.inode)) {
      munmap(m.base, m.bytes);
      maps_.erase(maps_.begin() + std::ptrdiff_t(i));
    } else {
      ++i;
    }
  }
}

char* SharedReducer::peer_base(int r, const Place& p, int64_t bytes) {
  for (const Mapping& m : maps_)
    if (m.rank == r && m.fd == p.fd && m.inode == p.inode && int64_t(m.bytes) >= bytes) return m.base;
  // A buffer not mapped yet: first let go of the memfds r has closed since (a replaced fd number
  // among them), whose pages this rank's mappings would otherwise keep alive for the group's life.
  drop_closed(r);
  for (size_t i = 0; i < maps_.size(); ++i)
    if (maps_[i].rank == r && maps_[i].fd == p.fd) {  // open still, and too short: mapped again below
      munmap(maps_[i].base, maps_[i].bytes);
      maps_.erase(maps_.begin() + std::ptrdiff_t(i));
      break;
    }
  const std::string path = fd_path(r, p.fd);
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  char* base = nullptr;
  if (fstat(fd, &st) == 0 && uint64_t(st.st_ino) == p.inode && st.st_size >= bytes && st.st_size > 0) {
    void* q = mmap(nullptr, size_t(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (q != MAP_FAILED) {
      base = static_cast<char*>(q);
      maps_.push_back({r, p.fd, p.inode, base, size_t(st.st_size)});
    }
  }
  close(fd);
  return base;
}

std::string SharedReducer::all_reduce_in_place(void* buf, const std::vector<Place>& places, int64_t count, DType dtype,
                                               Reduce op) {
  const size_t item = item_size(dtype), n = size_t(count);
  std::vector<char*> at(static_cast<size_t>(size_));
  int ok = 1;
  for (int r = 0; r < size_ && ok; ++r) {
    if (r == rank_) {
      at[size_t(r)] = static_cast<char*>(buf);
      continue;
    }
    const Place& p = places[size_t(r)];
    char* base = p.offset >= 0 ? peer_base(r, p, p.offset + count * int64_t(item)) : nullptr;
    at[size_t(r)] = base ? base + p.offset : nullptr;
    ok = base != nullptr;
  }
  // Every rank takes the same path: one that could not map a peer's buffer makes all copy instead.
  if (MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, comm_) != MPI_SUCCESS)
    return "allReduce: MPI_Allreduce failed (shared memory)";
  if (!ok) return all_reduce(buf, count, dtype, op);
  in_place_calls_.fetch_add(1, std::memory_order_relaxed);
  // (the peers' writes to their buffers, before their rendezvous, are visible to this rank's reads)
  MPI_Win_sync(win_);
  const size_t align = 64 / item;  // segments start on cache lines: no line has two writers
  const size_t seg = ((n + size_t(size_) - 1) / size_t(size_) + align - 1) / align * align;
  const size_t first = std::min(n, size_t(rank_) * seg), last = std::min(n, first + seg);
  if (last > first) {
    std::vector<const char*> in(static_cast<size_t>(size_));
    std::vector<char*> out(static_cast<size_t>(size_));
    for (int r = 0; r < size_; ++r) in[size_t(r)] = out[size_t(r)] = at[size_t(r)] + first * item;
    kernel(dtype, op)(in.data(), size_, out.data(), size_, last - first, size_, op == Reduce::Avg);
  }
  // No rank returns (and changes its buffer) before every rank has written its segment everywhere.
  if (!sync()) return "allReduce: MPI_Barrier failed (shared memory)";
  return "";
}

}  // namespace tk::dist
