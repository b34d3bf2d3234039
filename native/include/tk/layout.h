// Shapes, strides and the layout of a tensor view over its storage.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace tk {

// Tensors have at most this many dimensions; more is an INVALID_ARGUMENT error. A fixed inline
// array keeps shape and strides allocation-free, which matters for the per-op overhead.
inline constexpr int kMaxDims = 16;

class DimVec {
 public:
  DimVec() = default;
  DimVec(std::initializer_list<int64_t> v);
  // Copies only the used entries: shapes are copied on every op, and most have 1-4 dims.
  DimVec(const DimVec& o) : n_(o.n_) { std::memcpy(d_.data(), o.d_.data(), sizeof(int64_t) * n_); }
  DimVec& operator=(const DimVec& o) {
    n_ = o.n_;
    std::memcpy(d_.data(), o.d_.data(), sizeof(int64_t) * n_);
    return *this;
  }
  static DimVec from(const std::vector<int64_t>& v, const char* op);
  int size() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t& operator[](int i) { return d_[i]; }
  int64_t operator[](int i) const { return d_[i]; }
  const int64_t* begin() const { return d_.data(); }
  const int64_t* end() const { return d_.data() + n_; }
  int64_t* begin() { return d_.data(); }
  int64_t* end() { return d_.data() + n_; }
  int64_t back() const { return d_[n_ - 1]; }
  void push_back(int64_t v);  // throws INVALID_ARGUMENT beyond kMaxDims
  void insert(int pos, int64_t v);
  void erase(int pos);
  void resize(int n, int64_t fill = 0);
  bool operator==(const DimVec& o) const;
  std::vector<int64_t> vec() const { return {begin(), end()}; }

 private:
  std::array<int64_t, kMaxDims> d_;  // entries past n_ are unspecified
  int n_ = 0;
};

// "[2, 3]" as used in every error message.
std::string fmt_shape(const DimVec& s);
// A number for a message: integral values in full (9007199254740993, not 9.0072e+15), others
// with up to 17 significant digits.
std::string fmt_number(double v);

// Product of sizes; throws OUT_OF_MEMORY naming `op` if it overflows int64.
int64_t checked_numel(const DimVec& shape, const char* op);
DimVec contiguous_strides(const DimVec& shape);

// Wraps a possibly negative dim into [0, ndim); INDEX_OUT_OF_RANGE naming `op` otherwise.
int wrap_dim(int64_t dim, int ndim, const char* op);

// NumPy broadcasting of two shapes; SHAPE_MISMATCH naming `op` when they cannot broadcast.
DimVec broadcast_shapes(const DimVec& a, const DimVec& b, const char* op);

struct Layout {
  DimVec shape;
  DimVec strides;  // in elements
  int64_t offset = 0;  // in elements, from the storage start

  static Layout contiguous(const DimVec& shape);
  int ndim() const { return shape.size(); }
  int64_t numel() const;
  bool is_contiguous() const;
  // Strides of this view broadcast to `target` (0 where a dim is expanded). Assumes the shapes
  // broadcast (checked by the caller).
  DimVec broadcast_strides_to(const DimVec& target) const;
  // Strides for viewing this layout as `shape` without a copy, or false if impossible.
  bool view_strides(const DimVec& shape, DimVec& out) const;
};

}  // namespace tk
