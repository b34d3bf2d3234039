// The op layer: checks, output shape and dtype, then dispatch to a device's kernels.
// Every op is a plain C++ function here, and reachable by name through call().
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tk/tensor.h"

namespace tk {

// ---- op ids ---------------------------------------------------------------------------------
// TK_IF_Y(x) keeps x, TK_IF_N(x) drops it: used with the `inplace` column of ops.def.
#define TK_IF_Y(...) __VA_ARGS__
#define TK_IF_N(...)
enum class OpId : int {
#define TK_UNARY(name, F, rule, inplace, cost) name, TK_IF_##inplace(name##_, )
#define TK_BINARY(name, F, rule, inplace, cost) name, TK_IF_##inplace(name##_, )
#define TK_OP(name) name,
#include "tk/ops.def"
  kCount
};
inline constexpr int kNumOps = int(OpId::kCount);
std::string_view op_name(OpId id);
// Looks an op up by its table name ("add", "log_softmax"); false if there is none.
bool find_op(std::string_view name, OpId& out);

enum class UnaryOp : int {
#define TK_UNARY(name, F, rule, inplace, cost) name,
#include "tk/ops.def"
  kCount
};
enum class BinaryOp : int {
#define TK_BINARY(name, F, rule, inplace, cost) name,
#include "tk/ops.def"
  kCount
};

// ---- attributes: positional op options, marshalled from JS by the binding -------------------
struct Attr {
  enum class Kind { None, Number, Bool, Ints, String } kind = Kind::None;
  double number = 0;
  bool boolean = false;
  std::vector<int64_t> ints;
  std::string str;
};

// Typed, checked access to positional attributes; errors name the op and the option.
class Attrs {
 public:
  Attrs() = default;
  explicit Attrs(std::vector<Attr> items) : items_(std::move(items)) {}
  // Writes only when the name changes, so a graph's prepared attributes are never written while
  // several threads run it.
  void set_op(std::string_view op) {
    if (op_.data() != op.data()) op_ = op;
  }
  size_t size() const { return items_.size(); }
  const Attr& item(size_t i) const { return items_[i]; }
  bool has(size_t i) const { return i < items_.size() && items_[i].kind != Attr::Kind::None; }
  double number(size_t i, const char* name) const;
  double number_or(size_t i, const char* name, double def) const;
  int64_t integer(size_t i, const char* name) const;
  int64_t integer_or(size_t i, const char* name, int64_t def) const;
  bool boolean_or(size_t i, const char* name, bool def) const;
  std::vector<int64_t> ints(size_t i, const char* name) const;  // a number is a 1-list
  std::optional<std::vector<int64_t>> ints_opt(size_t i, const char* name) const;
  std::optional<std::string> string_opt(size_t i, const char* name) const;
  std::optional<double> number_opt(size_t i, const char* name) const;

 private:
  const Attr* get(size_t i) const { return i < items_.size() ? &items_[i] : nullptr; }
  std::vector<Attr> items_;
  std::string_view op_;
};

// ---- the generic entry point ------------------------------------------------------------------
// The results of one op: at most kMaxOutputs tensors, held inline (no allocation per call).
class Outputs {
 public:
  static constexpr int kMaxOutputs = 3;  // the fused attention backward's dq, dk, dv
  Outputs() = default;
  Outputs(std::initializer_list<Tensor> ts) {
    TK_ASSERT(ts.size() <= size_t(kMaxOutputs));
    for (const Tensor& t : ts) v_[n_++] = t;
  }
  void push_back(Tensor t) {
    TK_ASSERT(n_ < kMaxOutputs);
    v_[n_++] = std::move(t);
  }
  int size() const { return n_; }
  bool empty() const { return n_ == 0; }
  Tensor& operator[](int i) { return v_[i]; }

 private:
  Tensor v_[kMaxOutputs];
  int n_ = 0;
};

// Runs op `id` on `inputs` with positional `attrs`. In-place ops return no outputs.
Outputs call(OpId id, std::span<const Tensor> inputs, Attrs& attrs);

// ---- C++ API (used by call(), by autograd and by tests) -------------------------------------
// p0..p2: a parametrised op's kernel parameters (clamp's bounds, leaky_relu's slope, ...).
Tensor unary(UnaryOp op, const Tensor& x, double p0 = 0, double p1 = 0, double p2 = 0);
void unary_(UnaryOp op, const Tensor& x, double p0 = 0, double p1 = 0, double p2 = 0);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, double p0 = 0, double p1 = 0, double p2 = 0);
void binary_(BinaryOp op, const Tensor& a, const Tensor& b, double p0 = 0, double p1 = 0, double p2 = 0);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
DType result_type(std::span<const Tensor> ts);

Tensor full(const DimVec& shape, double value, DType dtype, Device device, const char* op = "full");
Tensor arange(double start, double end, double step, std::optional<DType> dtype, Device device);
void fill_(const Tensor& t, double value);
// Copies src into dst (broadcasting src, casting dtype, any strides; same device).
void copy_(const Tensor& dst, const Tensor& src);

// Random streams: Philox4x32-10 keyed by the seed; each call takes a fresh counter range, so a
// stream is reproducible after manual_seed() whatever the thread count. One stream per calling
// thread (per JS environment), each starting from PyTorch's default seed.
void manual_seed(uint64_t seed);
uint64_t initial_seed();
// The whole stream state (seed, next counter), to checkpoint and resume a run exactly.
std::pair<uint64_t, uint64_t> get_rng_state();
void set_rng_state(uint64_t seed, uint64_t offset);

Tensor contiguous(const Tensor& x);
Tensor clone(const Tensor& x);
Tensor to_dtype(const Tensor& x, DType dtype);
Tensor to_device(const Tensor& x, Device device);
Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape, const char* op = "reshape");
Tensor view(const Tensor& x, const std::vector<int64_t>& shape);
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor expand(const Tensor& x, const std::vector<int64_t>& shape);
Tensor squeeze(const Tensor& x, const std::optional<std::vector<int64_t>>& dims);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor select(const Tensor& x, int64_t dim, int64_t index);
// The view of diagonal `offset` of dims d1 and d2 (torch.diagonal): both dims dropped, the diagonal
// appended last; offset > 0 is above the main diagonal.
Tensor diagonal(const Tensor& x, int64_t offset, int64_t d1, int64_t d2);
// The view of every window of `size` elements along dim, `step` apart (Tensor.unfold): dim
// becomes the window count (len - size) / step + 1, and a last dim of `size` is appended.
Tensor unfold(const Tensor& x, int64_t dim, int64_t size, int64_t step);
// The view of x's storage with the given sizes, strides (non-negative) and storage offset (x's own
// when absent), as torch.as_strided: every element it reaches must lie inside the storage.
Tensor as_strided(const Tensor& x, const std::vector<int64_t>& size, const std::vector<int64_t>& stride,
                  std::optional<int64_t> offset);
Tensor cat(std::span<const Tensor> xs, int64_t dim);
Tensor stack(std::span<const Tensor> xs, int64_t dim);

enum class ReduceOp { Sum, Mean, Max, Min };
Tensor reduce(ReduceOp op, const Tensor& x, const std::optional<std::vector<int64_t>>& dims, bool keepdim,
              const char* name);
Tensor var(const Tensor& x, const std::optional<std::vector<int64_t>>& dims, double correction, bool keepdim,
           bool take_sqrt);
// argmax/argmin over `dim` (or the flattened tensor) and the matching values.
std::pair<Tensor, Tensor> arg_reduce(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max,
                                     const char* name);
Tensor softmax(const Tensor& x, int64_t dim, bool log);
Tensor cumsum(const Tensor& x, int64_t dim);
// Running product along dim (integers accumulate in int64), and its gradient g -> dx, exact where
// x holds zeros (no division).
Tensor cumprod(const Tensor& x, int64_t dim);
Tensor cumprod_backward(const Tensor& g, const Tensor& x, int64_t dim);

// ---- attention (native/src/ops/attention.cpp) ---------------------------------------------
// softmax(q k^T * scale + mask) v over q [..., L, E], k [..., S, E], v [..., S, Ev] (equal leading
// dims), fused: the [L, S] weights are never stored. mask: undefined, or float (added) or bool
// (false masks out) broadcast to [..., L, S]; causal: key j only for query i >= j. Returns the
// output [..., L, Ev] and each row's log-sum-exp [..., L] (what the backward needs); a row with
// every key masked gives NaN, as the unfused formula.
std::pair<Tensor, Tensor> scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                                       const Tensor& mask, double scale, bool causal);
// Its gradients for q, k and v from the output's gradient g (the weights recomputed from lse).
std::vector<Tensor> scaled_dot_product_attention_backward(const Tensor& g, const Tensor& q, const Tensor& k,
                                                          const Tensor& v, const Tensor& out, const Tensor& lse,
                                                          const Tensor& mask, double scale, bool causal);

// ---- losses (native/src/ops/loss.cpp) --------------------------------------------------------
// Options of cross_entropy. from_logits: x holds logits and a log-softmax over the class dim is
// applied (crossEntropy); false: x already holds log-probabilities (nllLoss).
enum class LossReduction { None = 0, Mean = 1, Sum = 2 };
struct CrossEntropyOptions {
  int64_t ignore_index = -100;
  double label_smoothing = 0;  // in [0, 1]
  LossReduction reduction = LossReduction::Mean;
  bool from_logits = true;
};
// PyTorch's cross_entropy / nll_loss with class-index targets, fused: x [C] or [N, C, d...]
// (floating), target [] or [N, d...] (int64/int32, each in [0, C) or ignore_index), weight
// undefined or [C]. Loss per position: -(1 - e) w[t] logp[t] - (e / C) sum_c w[c] logp[c] (0
// where ignored); mean divides the sum by the sum of w[t] over positions not ignored.
Tensor cross_entropy(const Tensor& x, const Tensor& target, const Tensor& weight, const CrossEntropyOptions& o);
// Its gradient for x, given the loss's gradient g (the loss's shape).
Tensor cross_entropy_backward(const Tensor& g, const Tensor& x, const Tensor& target, const Tensor& weight,
                              const CrossEntropyOptions& o);

// ---- batch normalization (native/src/ops/norm.cpp) -------------------------------------------
// PyTorch's batch_norm over dim 1 of x [N, C, ...] (floating), weight and bias [C] of x's dtype.
// Training: each channel normalised with its batch mean and biased variance; otherwise with
// running_mean and running_var [C]. Returns {y, mean, var}: the statistics used, float64 for
// float64 x and float32 otherwise; the caller updates running statistics from them.
std::vector<Tensor> batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                               const Tensor& running_var, bool training, double eps);
// {dx, dweight, dbias} from the output's gradient g and batch_norm's inputs and statistics.
std::vector<Tensor> batch_norm_backward(const Tensor& g, const Tensor& x, const Tensor& weight, const Tensor& mean,
                                        const Tensor& var, bool training, double eps);

// ---- layer normalization (native/src/ops/norm.cpp) -------------------------------------------
// PyTorch's native_layer_norm over the last `normalized_ndim` dims of x (floating); weight and
// bias (optional: undefined) of those dims' shape and x's dtype. Returns {y, mean, rstd}: each
// row's mean and 1 / sqrt(biased variance + eps), in x's shape with the normalized dims as 1,
// float64 for float64 x and float32 otherwise.
std::vector<Tensor> layer_norm(const Tensor& x, int64_t normalized_ndim, const Tensor& weight, const Tensor& bias,
                               double eps);
// {dx, dweight, dbias} from the output's gradient g, layer_norm's input, weight and statistics
// (any floating dtype, read in layer_norm's); each computed only when asked for (dweight only with
// a weight), else undefined.
std::vector<Tensor> layer_norm_backward(const Tensor& g, const Tensor& x, int64_t normalized_ndim, const Tensor& weight,
                                        const Tensor& mean, const Tensor& rstd, bool need_x, bool need_weight,
                                        bool need_bias);

// ---- connectionist temporal classification (native/src/ops/ctc.cpp) --------------------------
// PyTorch's ctc_loss before its reduction: log_probs [T, N, C] (floating; log-probabilities over
// C classes, `blank` among them), targets [N, S] (padded) or 1-D (the N targets concatenated),
// integer; input_lengths and target_lengths [N], integer, input_lengths[n] <= T, each target a
// class other than blank. Returns {nll [N] of log_probs' dtype, log_alpha [N, T, 2S' + 1]} where
// S' is the longest target and log_alpha (float64 for float64 input, else float32) is what the
// backward reads. zero_infinity: an infinite loss (no alignment fits) is 0, as is its gradient.
std::vector<Tensor> ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                             const Tensor& target_lengths, int64_t blank, bool zero_infinity);
// d(g . nll) / d log_probs [T, N, C] from the forward's inputs and log_alpha.
Tensor ctc_loss_backward(const Tensor& g, const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                         const Tensor& target_lengths, const Tensor& log_alpha, int64_t blank, bool zero_infinity);

// ---- indexing and counting (native/src/ops/index.cpp) ---------------------------------------
// x's slices at `index` (0-D or 1-D int32/int64, each in range) along dim.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// The gradient of index_select: grad's slices summed back into a zero tensor of size `size`
// along dim (repeated indices add up).
Tensor index_select_backward(const Tensor& grad, int64_t dim, const Tensor& index, int64_t size);
// Positions that sort x along dim (stable: equal values keep their order; NaN last ascending).
Tensor argsort(const Tensor& x, int64_t dim, bool descending);
// gather: out[p] = x[p with p[dim] replaced by index[p]]; out has index's shape (index: int64 or
// int32 of x's rank, no larger than x outside dim, values in range).
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// How scatter combines: None replaces (the last write wins); the rest reduce the scattered
// values together with self's (include_self) or without it.
enum class ScatterReduce { None, Sum, Prod, Mean, Amax, Amin };
// A copy of self with src's values (src[p] for each position p of index, src at least index's
// size) written or reduced into self[p with p[dim] replaced by index[p]].
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterReduce reduce,
               bool include_self);
// scatter of src into zeros of `shape` (src's dtype and device) without the copy of a zeros self:
// the backward of gather and of max(dim) with indices.
Tensor scatter_into_zeros(const DimVec& shape, int64_t dim, const Tensor& index, const Tensor& src,
                          ScatterReduce reduce);
ScatterReduce scatter_reduce_of(std::string_view name, const char* op);
std::string_view scatter_reduce_name(ScatterReduce r);
// The positions of x's non-zero elements, row by row: int64 [count, ndim].
Tensor nonzero(const Tensor& x);
// Occurrences of each value of a 1-D non-negative integer x (weights summed instead of counted
// when given): length max(max(x) + 1, minlength); int64, or the weights' floating dtype.
Tensor bincount(const Tensor& x, const Tensor& weights, int64_t minlength);

Tensor dot(const Tensor& a, const Tensor& b);
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& m, const Tensor& v);
Tensor bmm(const Tensor& a, const Tensor& b);
// beta * input + alpha * (m1 @ m2), input broadcast to the product's shape; beta == 0 ignores
// input (NaN there does not propagate).
Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, double beta = 1, double alpha = 1);
// torch.nn.functional.linear with an optional ReLU fused into the product: y = x @ weight^T + bias,
// then max(y, 0) where relu. x [..., in], weight [out, in], bias undefined or [out]; y [..., out].
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, bool relu = false);

// Dense factorizations (torch.linalg), over the batch dims of A; float32 or float64, computed in
// float64. cholesky_ex -> {L (U when upper), info int32}; lu_factor_ex -> {LU packed, pivots int32
// (1-based), info int32}; solve_triangular: X of A X = B (XA = B when !left), batch dims
// broadcast; eigh -> {eigenvalues ascending, eigenvectors as columns}; svd -> {U, S descending,
// Vh}; qr (mode 'reduced', 'complete' or 'r') -> {Q (empty for 'r'), R}; mode 'geqrf' -> {R with
// the Householder vectors below its diagonal, tau} (LAPACK's geqrf).
std::vector<Tensor> linalg_cholesky_ex(const Tensor& a, bool upper);
std::vector<Tensor> linalg_lu_factor_ex(const Tensor& a);
Tensor linalg_solve_triangular(const Tensor& a, const Tensor& b, bool upper, bool left, bool unitriangular);
std::vector<Tensor> linalg_eigh(const Tensor& a, bool lower);
std::vector<Tensor> linalg_svd(const Tensor& a, bool full_matrices);
std::vector<Tensor> linalg_qr(const Tensor& a, const std::string& mode);
// The gradients of linear for the loss gradient g ([..., out]): those asked for, in the order x,
// weight, bias. y: the layer's output when it had a ReLU (g counts only where y > 0, applied
// inside the products rather than as a pass of its own), else undefined. into_w / into_b, when
// defined, receive the weight's / bias's gradient (contiguous, of its shape and dtype), which is
// then returned in place of a new tensor: the autograd engine's gradient destinations.
std::vector<Tensor> linear_backward(const Tensor& g, const Tensor& x, const Tensor& weight, const Tensor& y,
                                    bool need_x, bool need_w, bool need_b, const Tensor& into_w = Tensor(),
                                    const Tensor& into_b = Tensor());

// ---- convolution and pooling (NCHW; float32/float64) ----------------------------------------
struct Conv2dParams {
  int64_t stride[2] = {1, 1};
  int64_t padding[4] = {0, 0, 0, 0};  // top, left, bottom, right
  int64_t dilation[2] = {1, 1};
  int64_t groups = 1;
};
// x [N, C, H, W], weight [O, C / groups, kh, kw], bias [O] or undefined -> [N, O, OH, OW].
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);
// The gradient of conv2d with respect to x, of spatial size [H, W] (also conv_transpose2d).
Tensor conv2d_input_grad(const Tensor& grad_out, const Tensor& weight, int64_t H, int64_t W, const Conv2dParams& p);
// The gradient of conv2d with respect to a weight of kernel [kh, kw].
Tensor conv2d_weight_grad(const Tensor& grad_out, const Tensor& x, int64_t kh, int64_t kw, const Conv2dParams& p);

struct Pool2dParams {
  int64_t kernel[2] = {1, 1};
  int64_t stride[2] = {1, 1};
  int64_t padding[2] = {0, 0};
  int64_t dilation[2] = {1, 1};
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg_pool2d only
};
// x [N, C, H, W] or [C, H, W]. Returns values and int64 indices (flat h * W + w per plane);
// without with_indices, the indices are an empty tensor (a faster values-only kernel).
std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, const Pool2dParams& p, bool with_indices = true);
Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, int64_t H, int64_t W);
Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p);
Tensor avg_pool2d_backward(const Tensor& grad_out, int64_t H, int64_t W, const Pool2dParams& p);
Tensor adaptive_avg_pool2d(const Tensor& x, int64_t OH, int64_t OW);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad_out, int64_t H, int64_t W);

}  // namespace tk
