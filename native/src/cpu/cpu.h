// The CPU backend is assembled from one registration function per kernel family file.
#pragma once
#include "backend.h"

namespace tk::cpu {
void register_elementwise(Backend& b);
void register_reduce(Backend& b);
void register_creation(Backend& b);
void register_matmul(Backend& b);
void register_conv(Backend& b);
void register_winograd(Backend& b);
void register_direct_conv(Backend& b);
void register_pool(Backend& b);
void register_optim(Backend& b);
}  // namespace tk::cpu
