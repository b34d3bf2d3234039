// The peer for `npm run bench:distributed`: a plain C loop of MPI_Allreduce (in place, float sum)
// over COUNT floats, timed per call with MPI_Wtime after a barrier; prints the median in seconds.
//   mpicc -O2 mpi_allreduce.c -o mpi_allreduce && mpirun -n 2 ./mpi_allreduce COUNT ITERS
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int count = argc > 1 ? atoi(argv[1]) : 6553600;
  const int iters = argc > 2 ? atoi(argv[2]) : 20;
  float* buf = malloc(sizeof(float) * (size_t)count);
  for (int i = 0; i < count; ++i) buf[i] = (float)(i % 7);
  double* t = malloc(sizeof(double) * (size_t)iters);
  MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);  // warm-up
  for (int i = 0; i < iters; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, buf, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    t[i] = MPI_Wtime() - t0;
  }
  qsort(t, (size_t)iters, sizeof(double), cmp);
  if (rank == 0) printf("%.9f\n", t[iters / 2]);
  free(buf);
  free(t);
  MPI_Finalize();
  return 0;
}
