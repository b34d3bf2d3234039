// as_strided's derivative (its row of the table in derivatives.cpp), max_pool2d_backward's, which
// also reads elements back at computed positions, and unfold's, which sums windows back.
// as_strided's output read storage elements at computed positions, possibly the same element more
// than once; the gradient sums g into a buffer the size of the storage at those positions
// (index_select's backward, so the sum is differentiable again) and reads the input's own
// positions back out of it. This holds for any input layout, strided or offset, as torch's
// as_strided_backward for non-overlapping inputs.
#include "autograd/derivatives.h"
#include "autograd/functions.h"
#include "ops/internal.h"

namespace tk::autograd {
namespace {

// The storage position of every element of a (shape, strides, offset) view, as an int64 tensor of
// that shape: offset + sum_i arange(shape_i) * stride_i, broadcast. A constant, made directly.
Tensor positions(const DimVec& shape, const DimVec& strides, int64_t offset, Device device) {
  Tensor p = full(DimVec{}, double(offset), DType::Int64, device);
  for (int i = 0; i < int(shape.size()); ++i) {
    std::vector<int64_t> along(shape.size(), 1);
    along[i] = shape[i];
    Tensor a = arange(0, double(shape[i]), 1, DType::Int64, device);
    a = binary(BinaryOp::mul, a, full(DimVec{}, double(strides[i]), DType::Int64, device));
    p = binary(BinaryOp::add, p, reshape(a, along));
  }
  return reshape(p, {p.numel()});
}

}  // namespace

void as_strided_grad(Ctx& c) {
  const Tensor& x = c.in(0);
  const Tensor& g = c.g();
  const int64_t capacity = int64_t(x.storage()->nbytes() / itemsize(x.dtype()));
  const std::vector<int64_t> size = c.attrs().ints(0, "size"), stride = c.attrs().ints(1, "stride");
  const int64_t offset = c.attrs().has(2) ? c.attrs().integer(2, "storageOffset") : x.offset();
  DimVec out_shape = DimVec::from(size, "as_strided"), out_strides = DimVec::from(stride, "as_strided");
  Tensor read = positions(out_shape, out_strides, offset, g.device());
  Tensor buffer = fn::op(OpId::index_select_backward, {fn::reshape(g, DimVec{g.numel()}), read},
                         {fn::num(0), fn::num(double(capacity))});
  Tensor mine = positions(x.shape(), x.strides(), x.offset(), g.device());
  c.set(0, fn::reshape(fn::op(OpId::index_select, {buffer, mine}, {fn::num(0)}), x.shape()));
}

// max_pool2d_backward (gradient [.., OH, OW], indices): linear in the gradient, which it scatters
// to each window's argmax; its adjoint gathers the incoming [.., H, W] gradient back at those
// positions (an index of -1, a window without a maximum, reads 0).
void max_pool2d_backward_grad(Ctx& c) {
  using namespace fn;
  const Tensor idx = c.in(1);
  const Tensor& gg = c.g();
  DimVec flat_in, flat_out;
  for (int d = 0; d + 2 < idx.ndim(); ++d) flat_in.push_back(idx.shape()[d]), flat_out.push_back(idx.shape()[d]);
  flat_in.push_back(gg.shape()[gg.ndim() - 2] * gg.shape()[gg.ndim() - 1]);
  flat_out.push_back(idx.shape()[idx.ndim() - 2] * idx.shape()[idx.ndim() - 1]);
  const Tensor valid = binary(BinaryOp::ge, idx, scalar(0));
  const Tensor at = fn::reshape(tk::where(valid, idx, full(DimVec{}, 0, DType::Int64, idx.device())), flat_out);
  const int64_t dim = int64_t(flat_in.size()) - 1;
  const Tensor got = op(OpId::gather, {fn::reshape(gg, flat_in), at}, {num(double(dim))});
  c.set(0, fn::mul(fn::reshape(got, idx.shape()), fn::mask(valid, gg.dtype())));
}

// unfold's gradient: element w * step + k of dim gets g[.., w, .., k], the windows summed back.
void unfold_grad(Ctx& c) {
  using namespace fn;
  const TensorMeta& x = c.in_meta(0);
  const int d = wrap_dim(c.attrs().integer(0, "dim"), int(x.shape.size()), "backward");
  const int64_t size = c.attrs().integer(1, "size"), step = c.attrs().integer(2, "step");
  const Tensor& g = c.g();  // [.., n, .., size]
  const int64_t n = g.shape()[d];
  if (!grad_enabled() && size <= 16 && n > 0 && !x.shape.empty()) {
    // Window tap k's gradients land on positions k, k + step, ... of dim d: a strided view of
    // the result, written (windows apart: step >= size) or added (overlapping) in place. The
    // index_add below first copies g to [.., n * size, ..], a transposing copy (a 3-D conv's
    // depth windows, a 3-D pool's) that cost more than the adds.
    Tensor out = fn::zeros(x.shape, g.dtype(), g.device());
    const int nd = g.ndim();
    for (int64_t k = 0; k < size; ++k) {
      const Tensor dst =
          tk::squeeze(tk::unfold(tk::narrow(out, d, k, (n - 1) * step + 1), d, 1, step), std::vector<int64_t>{nd - 1});
      const Tensor src = tk::select(g, nd - 1, k);
      if (step >= size)
        tk::copy_(dst, src);
      else
        tk::binary_(BinaryOp::add, dst, src);
    }
    return c.set(0, out);
  }
  Tensor starts =
      tk::reshape(arange(0, double(n * step), double(step), DType::Int64, g.device()), std::vector<int64_t>{n, 1});
  Tensor offs = tk::reshape(arange(0, double(size), 1, DType::Int64, g.device()), std::vector<int64_t>{1, size});
  Tensor index = tk::reshape(binary(BinaryOp::add, starts, offs), std::vector<int64_t>{n * size});
  // [.., n, .., size] -> [.., n, size, ..] -> [.., n * size, ..], then index_add'ed into dim d.
  std::vector<int64_t> perm;
  const int nd = g.ndim();
  for (int i = 0; i < nd - 1; ++i) {
    perm.push_back(i);
    if (i == d) perm.push_back(nd - 1);
  }
  DimVec flat = x.shape;
  flat[d] = n * size;
  Tensor gf = fn::reshape(fn::permute(g, perm), flat);
  c.set(0, op(OpId::index_select_backward, {gf, index}, {num(double(d)), num(double(x.shape[d]))}));
}

}  // namespace tk::autograd
