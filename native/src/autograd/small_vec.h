// A vector that keeps its first N elements inline: an autograd node's per-input and per-output
// lists (edges, metadata, saved tensors) almost always hold 1-3 entries, and as std::vectors they
// were five heap allocations per recorded op beside the node's own.
#pragma once
#include <cstddef>
#include <new>
#include <utility>

namespace tk::autograd {

template <class T, size_t N> class SmallVec {
 public:
  SmallVec() = default;
  SmallVec(const SmallVec& o) {
    reserve(o.n_);
    for (const T& x : o) push_back(x);
  }
  SmallVec& operator=(const SmallVec& o) {
    if (this != &o) {
      clear();
      reserve(o.n_);
      for (const T& x : o) push_back(x);
    }
    return *this;
  }
  SmallVec(SmallVec&&) = delete;  // nodes are not moved; keep the surface small
  SmallVec& operator=(SmallVec&&) = delete;
  ~SmallVec() {
    clear();
    if (heap_) ::operator delete(static_cast<void*>(heap_), std::align_val_t(alignof(T)));
  }

  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  T* data() { return heap_ ? heap_ : reinterpret_cast<T*>(inline_); }
  const T* data() const { return heap_ ? heap_ : reinterpret_cast<const T*>(inline_); }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T* begin() { return data(); }
  T* end() { return data() + n_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + n_; }
  T& back() { return data()[n_ - 1]; }
  const T& back() const { return data()[n_ - 1]; }

  void reserve(size_t want) {
    if (want <= capacity()) return;
    T* p = static_cast<T*>(::operator new(want * sizeof(T), std::align_val_t(alignof(T))));
    T* old = data();
    for (size_t i = 0; i < n_; ++i) {
      new (p + i) T(std::move(old[i]));
      old[i].~T();
    }
    if (heap_) ::operator delete(static_cast<void*>(heap_), std::align_val_t(alignof(T)));
    heap_ = p;
    cap_ = want;
  }
  template <class... A> T& emplace_back(A&&... a) {
    if (n_ == capacity()) reserve(n_ * 2 > N ? n_ * 2 : N + 1);
    T* slot = new (data() + n_) T(std::forward<A>(a)...);
    ++n_;
    return *slot;
  }
  void push_back(const T& x) { emplace_back(x); }
  void push_back(T&& x) { emplace_back(std::move(x)); }
  void resize(size_t n) {
    reserve(n);
    while (n_ < n) emplace_back();
    while (n_ > n) data()[--n_].~T();
  }
  void clear() {
    while (n_ > 0) data()[--n_].~T();
  }

 private:
  size_t capacity() const { return heap_ ? cap_ : N; }
  alignas(T) unsigned char inline_[N * sizeof(T)];
  T* heap_ = nullptr;
  size_t n_ = 0, cap_ = 0;
};

}  // namespace tk::autograd
