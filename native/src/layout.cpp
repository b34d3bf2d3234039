#include "tk/layout.h"

#include <cmath>
#include <cstdio>

#include <sstream>

#include "tk/error.h"

namespace tk {

DimVec::DimVec(std::initializer_list<int64_t> v) {
  for (int64_t x : v) push_back(x);
}

DimVec DimVec::from(const std::vector<int64_t>& v, const char* op) {
  TK_CHECK(v.size() <= size_t(kMaxDims), INVALID_ARGUMENT, op, ": at most ", kMaxDims,
           " dimensions are supported, got ", v.size());
  DimVec d;
  for (int64_t x : v) d.d_[d.n_++] = x;
  return d;
}

void DimVec::push_back(int64_t v) {
  TK_CHECK(n_ < kMaxDims, INVALID_ARGUMENT, "tensor: at most ", kMaxDims, " dimensions are supported, got ", n_ + 1);
  d_[n_++] = v;
}

void DimVec::insert(int pos, int64_t v) {
  push_back(0);
  for (int i = n_ - 1; i > pos; --i) d_[i] = d_[i - 1];
  d_[pos] = v;
}

void DimVec::erase(int pos) {
  for (int i = pos; i + 1 < n_; ++i) d_[i] = d_[i + 1];
  --n_;
}

void DimVec::resize(int n, int64_t fill) {
  TK_CHECK(n >= 0 && n <= kMaxDims, INVALID_ARGUMENT, "tensor: at most ", kMaxDims, " dimensions are supported, got ",
           n);
  for (int i = n_; i < n; ++i) d_[i] = fill;
  n_ = n;
}

bool DimVec::operator==(const DimVec& o) const {
  if (n_ != o.n_) return false;
  for (int i = 0; i < n_; ++i)
    if (d_[i] != o.d_[i]) return false;
  return true;
}

std::string fmt_shape(const DimVec& s) {
  std::ostringstream os;
  os << '[';
  for (int i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << ']';
  return os.str();
}

std::string fmt_number(double v) {
  char buf[64];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e21)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

int64_t checked_numel(const DimVec& shape, const char* op) {
  int64_t n = 1;
  for (int64_t d : shape) {
    TK_CHECK(d >= 0, INVALID_ARGUMENT, op, ": sizes must be non-negative, got ", fmt_shape(shape));
    TK_CHECK(!__builtin_mul_overflow(n, d, &n), OUT_OF_MEMORY, op, ": the number of elements overflows, got ",
             fmt_shape(shape));
  }
  return n;
}

DimVec contiguous_strides(const DimVec& shape) {
  DimVec st;
  st.resize(shape.size());
  int64_t s = 1;
  for (int i = shape.size() - 1; i >= 0; --i) {
    st[i] = s;
    s *= shape[i] > 0 ? shape[i] : 1;
  }
  return st;
}

int wrap_dim(int64_t dim, int ndim, const char* op) {
  int64_t n = ndim > 0 ? ndim : 1;  // a 0-dim tensor accepts dim 0 and -1, as in PyTorch
  TK_CHECK(dim >= -n && dim < n, INDEX_OUT_OF_RANGE, op, ": dim out of range (expected in [", -n, ", ", n - 1,
           "]), got ", dim);
  return int(dim < 0 ? dim + n : dim);
}

DimVec broadcast_shapes(const DimVec& a, const DimVec& b, const char* op) {
  int n = a.size() > b.size() ? a.size() : b.size();
  DimVec out;
  out.resize(n);
  for (int i = 0; i < n; ++i) {
    int ia = i - (n - a.size()), ib = i - (n - b.size());
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    TK_CHECK(da == db || da == 1 || db == 1, SHAPE_MISMATCH, op, ": shapes ", fmt_shape(a), " and ", fmt_shape(b),
             " cannot be broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Layout Layout::contiguous(const DimVec& shape) { return {shape, contiguous_strides(shape), 0}; }

int64_t Layout::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool Layout::is_contiguous() const {
  int64_t s = 1;
  for (int i = shape.size() - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    if (shape[i] == 0) return true;
    if (strides[i] != s) return false;
    s *= shape[i];
  }
  return true;
}

DimVec Layout::broadcast_strides_to(const DimVec& target) const {
  DimVec st;
  st.resize(target.size());
  int off = target.size() - shape.size();
  for (int i = 0; i < target.size(); ++i) {
    int j = i - off;
    st[i] = (j < 0 || shape[j] == 1) ? 0 : strides[j];
  }
  return st;
}

// PyTorch's computeStride: groups of old dims that are contiguous with each other can be split or
// merged into new dims; anything else needs a copy.
bool Layout::view_strides(const DimVec& newshape, DimVec& out) const {
  out.resize(newshape.size());
  if (numel() == 0 || ndim() == 0) {  // the caller checked that the element counts agree
    out = contiguous_strides(newshape);
    return true;
  }
  int view_d = newshape.size() - 1;
  int64_t chunk_base_stride = ndim() ? strides.back() : 1;
  int64_t tensor_numel = 1, view_numel = 1;
  for (int tensor_d = ndim() - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= shape[tensor_d];
    if (tensor_d == 0 || (shape[tensor_d - 1] != 1 && strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || newshape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= newshape[view_d];
        view_d--;
      }
      if (view_numel != tensor_numel) return false;
      if (tensor_d > 0) {
        chunk_base_stride = strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

}  // namespace tk
