// The CPU thread pool. std::thread rather than OpenMP: libgomp cannot be linked statically (users
// would need libgomp.so.1), and its default busy-wait made timings on 2-core machines swing 10x.
#include "tk/parallel.h"

#ifdef __linux__
#include <sched.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "tk/error.h"

namespace tk {
namespace {

thread_local bool t_in_parallel = false;

// Waking a thread blocked on a futex takes tens of microseconds on a virtual machine (the host
// must reschedule a halted vCPU) — as long as a 256^3 matmul half takes. So both sides spin
// briefly before blocking: workers after a region, waiting for the next; the caller waiting for
// the workers to finish. Short enough that an idle pool costs nothing measurable (OpenMP's 200 ms
// default spin made 2-core timings swing 10x).
constexpr int kWorkerSpinUs = 100;
constexpr int kCallerSpinUs = 500;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins until pred() holds (true) or `us` microseconds have passed (false).
template <class P> bool spin_for(P&& pred, int us) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
  for (int i = 1;; ++i) {
    if (pred()) return true;
    cpu_relax();
    if ((i & 63) == 0 && std::chrono::steady_clock::now() >= end) return false;
  }
}

// Threads a parallel region started on this thread may use (0: the default, one per core). Per
// thread, so that each JS environment (the main thread, every worker) sets its own, as each
// PyTorch process does; the workers themselves are shared.
thread_local int t_num_threads = 0;

// The CPUs this process may run on: its affinity mask where the OS has one (a rank that a launcher
// bound to its share of the cores, taskset, a container's cpuset), else every core. Threads beyond
// the mask would take turns on its cores, and the pool's workers spin while they wait.
int default_num_threads() {
  static const int n = [] {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
    unsigned hc = std::thread::hardware_concurrency();
    return hc ? int(hc) : 1;
  }();
  return n;
}

class Pool {
 public:
  int num_threads() const { return t_num_threads > 0 ? t_num_threads : default_num_threads(); }

  void run(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    int64_t n = end - begin;
    int want = int(std::min<int64_t>(num_threads(), grain > 0 ? n / grain : n));
    if (want <= 1 || t_in_parallel) return fn(begin, end);
    std::unique_lock<std::mutex> busy(region_mu_, std::try_to_lock);
    if (!busy.owns_lock()) return fn(begin, end);  // another thread's region holds the pool
    ensure_workers(want - 1);

    int64_t chunk = (n + want - 1) / want;
    std::exception_ptr first_error;
    std::mutex err_mu;
    std::function<void(int)> body = [&](int i) {
      int64_t b = begin + i * chunk, e = std::min(end, b + chunk);
      if (b >= e) return;
      try {
        fn(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> g(err_mu);
        if (!first_error) first_error = std::current_exception();
      }
    };
    {
      std::lock_guard<std::mutex> g(mu_);
      task_ = &body;
      tasks_total_ = want;
      next_task_ = 1;  // task 0 is the caller's
      pending_ = want - 1;
      ++generation_;
    }
    cv_.notify_all();
    t_in_parallel = true;
    body(0);
    // Help with tasks no worker has picked up yet, then wait for the rest.
    for (;;) {
      int i;
      {
        std::lock_guard<std::mutex> g(mu_);
        if (next_task_ >= tasks_total_) break;
        i = next_task_++;
      }
      body(i);
      finish_one();
    }
    t_in_parallel = false;
    spin_for([&] { return pending_.load(std::memory_order_acquire) == 0; }, kCallerSpinUs);
    {
      std::unique_lock<std::mutex> g(mu_);
      done_cv_.wait(g, [&] { return pending_ == 0; });
      task_ = nullptr;
    }
    if (first_error) std::rethrow_exception(first_error);
  }

 private:
  void finish_one() {
    std::lock_guard<std::mutex> g(mu_);
    if (--pending_ == 0) done_cv_.notify_all();
  }

  void ensure_workers(int n) {
    while (int(workers_.size()) < n) {
      workers_.emplace_back([this] { worker_loop(); });
      workers_.back().detach();  // the pool lives for the process (the addon is never unloaded)
    }
  }

  void worker_loop() {
    t_in_parallel = true;
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int)>* task;
      int i;
      spin_for([&] { return generation_.load(std::memory_order_acquire) != seen; }, kWorkerSpinUs);
      {
        std::unique_lock<std::mutex> g(mu_);
        cv_.wait(g, [&] { return generation_ != seen && next_task_ < tasks_total_; });
        task = task_;
        i = next_task_++;
        if (next_task_ >= tasks_total_) seen = generation_;
      }
      (*task)(i);
      finish_one();
    }
  }

  std::mutex region_mu_;  // one parallel region at a time
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* task_ = nullptr;
  int tasks_total_ = 0, next_task_ = 0;
  // Written under mu_; atomic so the spinning waits can read them without it.
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: detached workers may still wait on it
  return *p;
}

}  // namespace

int get_num_threads() { return pool().num_threads(); }

void set_num_threads(int n) {
  TK_CHECK(n >= 1 && n <= 1024, INVALID_ARGUMENT, "setNumThreads: expected 1..1024 threads, got ", n);
  t_num_threads = n;
}

void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (end <= begin) return;
  pool().run(begin, end, grain, fn);
}

}  // namespace tk
