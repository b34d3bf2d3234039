// A floor for `npm run bench:distributed`'s MLP figures: the least work an all-reduce of ranks on
// one host can do. The ranks' buffers live in one shared window (MPI_Win_allocate_shared), as if
// backward had written every gradient there, so nothing is copied in or out: each rank sums its
// segment straight out of every rank's buffer (ranks in order), halves it (avg on 2 ranks), and
// writes the result into every rank's buffer; one barrier ends the call. Timed per call with
// MPI_Wtime after a barrier; prints the median in seconds.
//   mpicc -O3 -march=native shared_floor.c -o shared_floor && mpirun -n 2 ./shared_floor COUNT ITERS
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm host;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host);
  int rank, size;
  MPI_Comm_rank(host, &rank);
  MPI_Comm_size(host, &size);
  const long count = argc > 1 ? atol(argv[1]) : 1863690;
  const int iters = argc > 2 ? atoi(argv[2]) : 50;
  MPI_Info info;
  MPI_Info_create(&info);
  MPI_Info_set(info, "alloc_shared_noncontig", "true");
  float* mine = NULL;
  MPI_Win win;
  MPI_Win_allocate_shared((MPI_Aint)(sizeof(float) * (size_t)count), sizeof(float), info, host, &mine, &win);
  MPI_Info_free(&info);
  float** buf = malloc(sizeof(float*) * (size_t)size);
  for (int r = 0; r < size; ++r) {
    MPI_Aint bytes;
    int disp;
    MPI_Win_shared_query(win, r, &bytes, &disp, &buf[r]);
  }
  for (long i = 0; i < count; ++i) mine[i] = (float)((i + rank) % 7);
  MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
  const long seg = (count + size - 1) / size;
  const long lo = rank * seg, hi = lo + seg < count ? lo + seg : count;
  const float scale = 1.0f / (float)size;
  double* t = malloc(sizeof(double) * (size_t)iters);
  for (int it = -1; it < iters; ++it) {  // -1: warm-up
    // (untimed) each rank writes its whole buffer, as backward writes its gradients: the lines of
    // the peers' segments then sit in their writers' caches, as they do in a training step
    for (long i = 0; i < count; ++i) mine[i] = (float)((i + rank + it) % 7);
    MPI_Win_sync(win);
    MPI_Barrier(host);
    MPI_Win_sync(win);
    const double t0 = MPI_Wtime();
    if (size == 2) {  // (the loop the compiler vectorises; the general one below it does not)
      float* restrict a = buf[0];
      float* restrict b = buf[1];
      for (long i = lo; i < hi; ++i) {
        const float s = (a[i] + b[i]) * scale;
        a[i] = s;
        b[i] = s;
      }
    } else {
      for (long i = lo; i < hi; ++i) {
        float s = buf[0][i];
        for (int r = 1; r < size; ++r) s += buf[r][i];
        s *= scale;
        for (int r = 0; r < size; ++r) buf[r][i] = s;
      }
    }
    MPI_Win_sync(win);
    MPI_Barrier(host);
    MPI_Win_sync(win);
    if (it >= 0) t[it] = MPI_Wtime() - t0;
  }
  qsort(t, (size_t)iters, sizeof(double), cmp);
  if (rank == 0) printf("%.9f\n", t[iters / 2]);
  MPI_Win_unlock_all(win);
  MPI_Win_free(&win);
  MPI_Comm_free(&host);
  free(buf);
  free(t);
  MPI_Finalize();
  return 0;
}
