// The round trip of one cache line between CPU A and CPU B (two threads pinned there, a counter
// bounced 100,000 times; median of 15), in nanoseconds. DDP's shared-memory all-reduce reads what
// the peer rank's backward has just written, so this is the latency under it. On this VM it reads
// about 110 ns (as between cores that share a cache) or about 450 ns (as between cores that do
// not), switching within minutes: the host moves the vCPUs. `npm run bench:distributed` prints it
// with each round's figures, so that its ratios can be read against that state.
//   cc -O2 -pthread peer_cache.c -o peer_cache && ./peer_cache [A B]
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define REPS 15
#define ROUNDS 100000

static _Alignas(64) _Atomic long turn;  // odd: A's move, even: B's; -1: stop
static _Atomic int ready;  // B's report: 1 pinned, -1 could not pin
static int cpu_b;

static int pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  return pthread_setaffinity_np(pthread_self(), sizeof s, &s) == 0;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

// B: answers each odd value v with v + 1, until -1
static void* bounce(void* unused) {
  (void)unused;
  atomic_store(&ready, pin(cpu_b) ? 1 : -1);
  if (atomic_load(&ready) < 0) return NULL;
  for (;;) {
    long v;
    while (((v = atomic_load_explicit(&turn, memory_order_acquire)) & 1) == 0) {
    }
    if (v < 0) return NULL;
    atomic_store_explicit(&turn, v + 1, memory_order_release);
  }
}

int main(int argc, char** argv) {
  const int cpu_a = argc > 1 ? atoi(argv[1]) : 0;
  cpu_b = argc > 2 ? atoi(argv[2]) : 1;
  if (!pin(cpu_a)) {
    fprintf(stderr, "peer_cache: cannot run on CPU %d\n", cpu_a);
    return 1;
  }
  pthread_t t;
  pthread_create(&t, NULL, bounce, NULL);
  while (atomic_load(&ready) == 0) {
  }
  if (atomic_load(&ready) < 0) {  // (bouncing on one CPU would take a time slice per move)
    fprintf(stderr, "peer_cache: cannot run on CPU %d\n", cpu_b);
    return 1;
  }
  double trip[REPS];
  long v = 0;
  for (int rep = 0; rep < REPS; ++rep) {
    const double t0 = now();
    for (long k = 0; k < ROUNDS; ++k) {
      atomic_store_explicit(&turn, ++v, memory_order_release);
      while (atomic_load_explicit(&turn, memory_order_acquire) != v + 1) {
      }
      ++v;
    }
    trip[rep] = (now() - t0) / ROUNDS;
  }
  atomic_store_explicit(&turn, -1, memory_order_release);  // odd in two's complement: B sees it
  pthread_join(t, NULL);
  qsort(trip, REPS, sizeof *trip, cmp);
  printf("%.0f\n", trip[REPS / 2] * 1e9);
  return 0;
}
