// The float32 row kernels of the reductions in the baseline build, and the choice of level.
#define TK_ROWS_LEVEL 0
#include "cpu/rows_impl.h"
#include "tk/cpu_info.h"

namespace tk::cpu {

const F32Rows& f32_rows() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  const Capability c = active_capability();
  if (c >= Capability::Avx512) return f32_rows_avx512();
  if (c >= Capability::Avx2) return f32_rows_avx2();
#endif
  return kRows;
}

}  // namespace tk::cpu
