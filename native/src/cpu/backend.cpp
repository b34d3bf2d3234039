#include "backend.h"

#include "cpu/cpu.h"

namespace tk {

const Backend cpu_backend = [] {
  static Backend b{};
  cpu::register_elementwise(b);
  cpu::register_reduce(b);
  cpu::register_creation(b);
  cpu::register_matmul(b);
  cpu::register_conv(b);
  cpu::register_winograd(b);
  cpu::register_direct_conv(b);
  cpu::register_pool(b);
  cpu::register_optim(b);
  cpu::register_embedding(b);
  cpu::register_index(b);
  cpu::register_scatter(b);
  cpu::register_attention(b);
  cpu::register_loss(b);
  cpu::register_norm(b);
  cpu::register_layer_norm(b);
  cpu::register_ctc(b);
  cpu::register_fused(b);
  cpu::register_image(b);
  cpu::register_linalg(b);
  return with_half_adapter(b, 0);
}();

}  // namespace tk
