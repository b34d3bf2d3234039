// The addon: marshals between JS and the core and nothing else (no math, no shape logic).
// Napi::Addon gives per-environment state, so it loads in several worker_threads at once.
#include <napi.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "autograd.h"
#include "call.h"
#include "convert.h"
#include "errors.h"
#include "gc.h"
#include "graph.h"
#include "handoff.h"
#include "text.h"
#include "tk/cpu_info.h"
#include "tk/ops.h"
#include "tk/parallel.h"

namespace tkjs {
namespace {

tk::DType dtype_of_typed_array(napi_typedarray_type t) {
  switch (t) {
    case napi_float32_array: return tk::DType::Float32;
    case napi_float64_array: return tk::DType::Float64;
    case napi_int32_array: return tk::DType::Int32;
    case napi_bigint64_array: return tk::DType::Int64;
    case napi_uint8_array: return tk::DType::Bool;
    case napi_uint16_array: return tk::DType::Float16;  // raw bits; fromData's dtype may say bfloat16
    default:
      tk::raise(tk::ErrorCode::INVALID_ARGUMENT,
                "tensor: unsupported typed array (expected Float32Array, Float64Array, "
                "Int32Array, BigInt64Array, Uint8Array or Uint16Array)");
  }
}

}  // namespace
}  // namespace tkjs

using namespace tkjs;

class TensorkitAddon : public Napi::Addon<TensorkitAddon> {
 public:
  TensorkitAddon(Napi::Env env, Napi::Object exports) : owned_(new EnvState()), st_(*owned_) {
    auto meta = Napi::Float64Array::New(env, size_t(kUnwatchedFlag + 1));
    st_.meta = Napi::Persistent(meta);
    st_.meta_data = meta.Data();
    auto attr_buf = Napi::Float64Array::New(env, size_t(kAttrBufSize));
    st_.attr_buf = Napi::Persistent(attr_buf);
    st_.attr_data = attr_buf.Data();
    DefineAddon(exports, {
                             InstanceMethod("init", &TensorkitAddon::SetErrorClass),
                             InstanceMethod("fromData", &TensorkitAddon::FromData),
                             InstanceMethod("readInto", &TensorkitAddon::ReadInto),
                             InstanceMethod("fromRows", &TensorkitAddon::FromRows),
                             InstanceMethod("item", &TensorkitAddon::Item),
                             InstanceMethod("free", &TensorkitAddon::Free),
                             InstanceMethod("strides", &TensorkitAddon::Strides),
                             InstanceMethod("storageOffset", &TensorkitAddon::StorageOffset),
                             InstanceMethod("isContiguous", &TensorkitAddon::IsContiguous),
                             InstanceMethod("dataPtr", &TensorkitAddon::DataPtr),
                             InstanceMethod("shareableZeros", &TensorkitAddon::ShareableZeros),
                             InstanceMethod("sharedMemoryOf", &TensorkitAddon::SharedMemoryOf),
                             InstanceMethod("memory", &TensorkitAddon::Memory),
                             InstanceMethod("emptyCache", &TensorkitAddon::EmptyCache),
                             InstanceMethod("setNumThreads", &TensorkitAddon::SetNumThreads),
                             InstanceMethod("getNumThreads", &TensorkitAddon::GetNumThreads),
                             InstanceMethod("manualSeed", &TensorkitAddon::ManualSeed),
                             InstanceMethod("initialSeed", &TensorkitAddon::InitialSeed),
                             InstanceMethod("getRngState", &TensorkitAddon::GetRngState),
                             InstanceMethod("setRngState", &TensorkitAddon::SetRngState),
                             InstanceMethod("cudaInfo", &TensorkitAddon::CudaInfo),
                             InstanceMethod("cpuInfo", &TensorkitAddon::CpuInfo),
                             InstanceMethod("cudaMemory", &TensorkitAddon::CudaMemory),
                             InstanceMethod("cudaResetPeak", &TensorkitAddon::CudaResetPeak),
                             InstanceMethod("cudaSynchronize", &TensorkitAddon::CudaSynchronize),
                             InstanceMethod("cudaEmptyCache", &TensorkitAddon::CudaEmptyCache),
                             InstanceValue("call", make_call_function(env, st_)),
                             InstanceValue("meta", meta),
                             InstanceValue("attrBuf", attr_buf),
                             InstanceValue("opNames", OpNames(env)),
                             InstanceValue("errorCodes", ErrorCodes(env)),
                             InstanceValue("dtypes", DTypes(env)),
                             InstanceValue("maxDims", Napi::Number::New(env, tk::kMaxDims)),
                             InstanceValue("metaSlot", Napi::Number::New(env, kMetaSlot)),
                             InstanceValue("unwatchedFlag", Napi::Number::New(env, kUnwatchedFlag)),
                         });
    register_autograd(env, exports, st_);
    register_gc(env, exports, st_);
    register_graph(env, exports, st_);
    register_text(env, exports, st_);
    register_handoff(env, exports, st_);
  }
  // Runs when the environment is torn down (a worker exits or is terminated, or the main thread
  // ends normally): the tensors its JS objects still held are released here, since no
  // FinalizationRegistry callback runs after teardown. Nothing may throw out of a destructor,
  // and N-API calls may fail now, so the references are dropped without checking.
  ~TensorkitAddon() {
    try {
      owned_->handles.clear();
      owned_.reset();
    } catch (...) {
      owned_.release();  // leak rather than abort
    }
  }

 private:
  static Napi::Array OpNames(Napi::Env env) {
    auto a = Napi::Array::New(env, tk::kNumOps);
    for (int i = 0; i < tk::kNumOps; ++i) a.Set(uint32_t(i), std::string(tk::op_name(tk::OpId(i))));
    return a;
  }
  static Napi::Array ErrorCodes(Napi::Env env) {
    auto a = Napi::Array::New(env);
    uint32_t i = 0;
#define TK_X(c) a.Set(i++, #c);
    TK_FORALL_ERROR_CODES(TK_X)
#undef TK_X
    return a;
  }
  static Napi::Array DTypes(Napi::Env env) {
    auto a = Napi::Array::New(env);
    uint32_t i = 0;
#define TK_X(e, t, n) a.Set(i++, n);
    TK_FORALL_DTYPES(TK_X)
#undef TK_X
    return a;
  }

  // init(TensorError): the class every native error is raised as.
  Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
    if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "init: expected the TensorError class");
    st_.tensor_error = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
  }

  // fromData(typedArray, shape): a new tensor holding a copy of the array's elements (the array may
  // be backed by an ArrayBuffer or a SharedArrayBuffer).
  Napi::Value FromData(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      TK_CHECK(info[0].IsTypedArray(), INVALID_ARGUMENT, "tensor: expected a typed array");
      auto ta = info[0].As<Napi::TypedArray>();
      tk::DType dt = dtype_of_typed_array(ta.TypedArrayType());
      if (dt == tk::DType::Float16 && info[2].IsString()) {  // Uint16Array: bits of a 16-bit float
        dt = tk::parse_dtype(info[2].As<Napi::String>().Utf8Value(), "tensor");
        TK_CHECK(tk::is_half(dt), DTYPE_MISMATCH, "tensor: a Uint16Array holds float16 or bfloat16 bits, not ",
                 tk::dtype_name(dt));
      }
      tk::Attrs shape_attr = attrs_of(info[1], "tensor");
      std::vector<int64_t> shape = shape_attr.ints(0, "shape");
      tk::DimVec s = tk::DimVec::from(shape, "tensor");
      int64_t n = tk::checked_numel(s, "tensor");
      TK_CHECK(size_t(n) == ta.ElementLength(), SHAPE_MISMATCH, "tensor: shape ", tk::fmt_shape(s),
               " does not match the ", ta.ElementLength(), " elements given");
      tk::Tensor t = tk::Tensor::empty(s, dt, tk::Device{}, "tensor");
      // The element pointer straight from the view: this also reads a SharedArrayBuffer-backed
      // array (a DataLoader worker's shared dataset), whose buffer napi_get_arraybuffer_info refuses.
      void* data = nullptr;
      TK_CHECK(napi_get_typedarray_info(env, ta, nullptr, nullptr, &data, nullptr, nullptr) == napi_ok,
               INVALID_ARGUMENT, "tensor: cannot read the typed array");
      const uint8_t* src = static_cast<const uint8_t*>(data);
      if (dt == tk::DType::Bool) {  // normalise any nonzero byte to true
        bool* dst = t.data<bool>();
        for (int64_t i = 0; i < n; ++i) dst[i] = src[i] != 0;
      } else if (n > 0) {
        std::memcpy(t.data_ptr(), src, t.nbytes());
      }
      Napi::Value h = wrap(env, st_, std::move(t), 0);
      flush_external(env, st_);
      return h;
    });
  }

  // fromRows(typedArray, rowShape, indices, dtype?): the rows `indices` (each in [0, rows)) of an
  // array viewed as [rows, ...rowShape], stacked into a new tensor [indices.length, ...rowShape]:
  // a DataLoader worker's batch gathered straight out of a shared dataset, one copy, no JS garbage.
  Napi::Value FromRows(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      TK_CHECK(info[0].IsTypedArray(), INVALID_ARGUMENT, "fromRows: expected a typed array");
      auto ta = info[0].As<Napi::TypedArray>();
      tk::DType dt = dtype_of_typed_array(ta.TypedArrayType());
      if (dt == tk::DType::Float16 && info[3].IsString())
        dt = tk::parse_dtype(info[3].As<Napi::String>().Utf8Value(), "fromRows");
      tk::Attrs shape_attr = attrs_of(info[1], "fromRows");
      tk::DimVec row = tk::DimVec::from(shape_attr.ints(0, "rowShape"), "fromRows");
      const int64_t per = tk::checked_numel(row, "fromRows");
      TK_CHECK(per > 0 && ta.ElementLength() % size_t(per) == 0, SHAPE_MISMATCH, "fromRows: ", ta.ElementLength(),
               " elements are not whole rows of ", tk::fmt_shape(row));
      const int64_t rows = int64_t(ta.ElementLength()) / per;
      TK_CHECK(info[2].IsArray(), INVALID_ARGUMENT, "fromRows: expected an array of row indices");
      auto idx = info[2].As<Napi::Array>();
      const int64_t n = int64_t(idx.Length());
      tk::DimVec shape;
      shape.push_back(n);
      for (int64_t d : row) shape.push_back(d);
      tk::Tensor t = tk::Tensor::empty(shape, dt, tk::Device{}, "fromRows");
      void* data = nullptr;
      TK_CHECK(napi_get_typedarray_info(env, ta, nullptr, nullptr, &data, nullptr, nullptr) == napi_ok,
               INVALID_ARGUMENT, "fromRows: cannot read the typed array");
      const size_t row_bytes = size_t(per) * tk::itemsize(dt);
      const uint8_t* src = static_cast<const uint8_t*>(data);
      uint8_t* dst = static_cast<uint8_t*>(t.data_ptr());
      for (int64_t k = 0; k < n; ++k) {
        Napi::Value v = idx.Get(uint32_t(k));
        const double i = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
        TK_CHECK(i >= 0 && i < double(rows) && i == std::floor(i), INDEX_OUT_OF_RANGE, "fromRows: row index ", i,
                 " is outside [0, ", rows, ")");
        std::memcpy(dst + size_t(k) * row_bytes, src + size_t(i) * row_bytes, row_bytes);
      }
      if (dt == tk::DType::Bool)  // normalise any nonzero byte to true
        for (size_t b = 0; b < size_t(n) * row_bytes; ++b) dst[b] = dst[b] != 0;
      Napi::Value h = wrap(env, st_, std::move(t), 0);
      flush_external(env, st_);
      return h;
    });
  }

  // readInto(handle, arrayBuffer[, byteOffset]): copies the elements, row-major, into a buffer of
  // exactly their size (or at byteOffset into a larger one: a caller's typed array). JS allocates the buffer: `new
  // ArrayBuffer` throws a catchable RangeError when memory runs out, where an ArrayBuffer made here would end the
  // process with a V8 fatal error.
  Napi::Value ReadInto(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      tk::Tensor t = tk::contiguous(tk::to_device(tensor_of(st_, info[0], "data"), tk::Device{}));
      TK_CHECK(info[1].IsArrayBuffer(), INVALID_ARGUMENT, "data: expected an ArrayBuffer to copy into");
      auto buf = info[1].As<Napi::ArrayBuffer>();
      if (info.Length() > 2 && !info[2].IsUndefined()) {  // into a caller's typed array, at its offset
        TK_CHECK(info[2].IsNumber(), INVALID_ARGUMENT, "data: expected a byte offset");
        const double off = info[2].As<Napi::Number>().DoubleValue();
        TK_CHECK(off >= 0 && off == std::floor(off) && off + double(t.nbytes()) <= double(buf.ByteLength()),
                 INVALID_ARGUMENT, "data: ", t.nbytes(), " bytes at offset ", off, " do not fit a buffer of ",
                 buf.ByteLength());
        if (t.nbytes() > 0) std::memcpy(static_cast<char*>(buf.Data()) + size_t(off), t.data_ptr(), t.nbytes());
        return env.Undefined();
      }
      TK_CHECK(buf.ByteLength() == t.nbytes(), INVALID_ARGUMENT, "data: the buffer has ", buf.ByteLength(),
               " bytes, the tensor ", t.nbytes());
      if (t.nbytes() > 0) std::memcpy(buf.Data(), t.data_ptr(), t.nbytes());
      return env.Undefined();
    });
  }

  // item(handle): the value of a one-element tensor as a number (or boolean for bool).
  Napi::Value Item(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      const tk::Tensor& t0 = tensor_of(st_, info[0], "item");
      TK_CHECK(t0.numel() == 1, INVALID_ARGUMENT, "item: a Tensor with ", t0.numel(),
               " elements cannot be converted to a scalar");
      tk::Tensor t = tk::to_device(t0, tk::Device{});
      if (tk::is_half(t.dtype())) t = tk::to_dtype(t, tk::DType::Float32);  // exact
      return tk::dispatch_dtype(t.dtype(), [&]<class T>() -> Napi::Value {
        T v = *t.data<T>();
        if constexpr (std::is_same_v<T, bool>)
          return Napi::Boolean::New(env, v);
        else
          return Napi::Number::New(env, double(v));
      });
    });
  }

  // free(id): drops the tensor behind a handle id (dispose(), or the GC safety net).
  Napi::Value Free(const Napi::CallbackInfo& info) {
    if (info[0].IsNumber()) free_handle(st_, info[0].As<Napi::Number>().DoubleValue());
    flush_external(info.Env(), st_);
    return info.Env().Undefined();
  }

  Napi::Value Strides(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      const tk::Tensor& t = tensor_of(st_, info[0], "stride");
      auto a = Napi::Array::New(env, t.ndim());
      for (int i = 0; i < t.ndim(); ++i) a.Set(uint32_t(i), double(t.strides()[i]));
      return a;
    });
  }
  Napi::Value StorageOffset(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      return Napi::Number::New(env, double(tensor_of(st_, info[0], "storageOffset").offset()));
    });
  }
  Napi::Value IsContiguous(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      return Napi::Boolean::New(env, tensor_of(st_, info[0], "isContiguous").is_contiguous());
    });
  }

  // dataPtr(h): the address of element 0 of a contiguous tensor (a device address for a CUDA
  // tensor), for the MPI addon (bindings/distributed.cpp), which reads and writes the memory (NCCL
  // does, for a device address) while the TS side holds a reference to the tensor. Nothing else
  // may use it.
  Napi::Value DataPtr(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      const tk::Tensor& t = tensor_of(st_, info[0], "dataPtr");
      TK_CHECK(t.is_contiguous(), INVALID_ARGUMENT, "dataPtr: expected a contiguous tensor");
      return Napi::BigInt::New(env, uint64_t(reinterpret_cast<uintptr_t>(t.data_ptr())));
    });
  }

  // shareableZeros(h): a new contiguous CPU tensor of zeros of h's shape and dtype, in memory
  // other processes can map (tk::Storage::shareable), for the distributed package's buckets.
  Napi::Value ShareableZeros(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      const tk::Tensor& t = tensor_of(st_, info[0], "shareableZeros");
      return wrap(env, st_, tk::Tensor::zeros_shareable(t.shape(), t.dtype(), "shareableZeros"), 0);
    });
  }

  // sharedMemoryOf(h): [fd, inode, byteOffset] of a contiguous tensor in shareable memory (the
  // memfd a peer process maps, and where element 0 lies in it), or null for any other tensor.
  Napi::Value SharedMemoryOf(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      const tk::Tensor& t = tensor_of(st_, info[0], "sharedMemoryOf");
      const tk::Storage& s = *t.storage();
      if (s.shm_fd() < 0 || !t.is_contiguous()) return env.Null();
      auto a = Napi::Array::New(env, 3);
      a.Set(0u, double(s.shm_fd()));
      a.Set(1u, Napi::BigInt::New(env, s.shm_inode()));
      a.Set(2u, double(t.offset() * int64_t(tk::itemsize(t.dtype()))));
      return a;
    });
  }

  Napi::Value Memory(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    tk::MemoryStats s = tk::memory_stats();
    auto o = Napi::Object::New(env);
    o.Set("tensors", double(st_.handles.live()));
    o.Set("bytes", double(s.live_bytes));
    o.Set("storages", double(s.live_storages));
    o.Set("cachedBytes", double(s.cached_bytes));
    o.Set("peakBytes", double(s.peak_bytes));
    o.Set("reportedBytes", double(st_.reported_external));
    return o;
  }
  Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
    tk::empty_cache();
    return info.Env().Undefined();
  }
  Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      TK_CHECK(info[0].IsNumber(), INVALID_ARGUMENT, "setNumThreads: expected a number");
      tk::set_num_threads(info[0].As<Napi::Number>().Int32Value());
      return env.Undefined();
    });
  }
  Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), tk::get_num_threads());
  }
  Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      uint64_t seed;
      if (info[0].IsBigInt()) {
        bool lossless;
        seed = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
      } else {
        TK_CHECK(info[0].IsNumber(), INVALID_ARGUMENT, "manualSeed: expected an integer seed");
        double d = info[0].As<Napi::Number>().DoubleValue();
        TK_CHECK(tk::is_safe_integer(d) && d >= 0, INVALID_ARGUMENT,
                 "manualSeed: expected a non-negative safe integer, got ", d);
        seed = uint64_t(d);
      }
      tk::manual_seed(seed);
      return env.Undefined();
    });
  }
  Napi::Value InitialSeed(const Napi::CallbackInfo& info) {
    return Napi::BigInt::New(info.Env(), uint64_t(tk::initial_seed()));
  }
  Napi::Value GetRngState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto [seed, offset] = tk::get_rng_state();
    auto a = Napi::Array::New(env, 2);
    a.Set(uint32_t(0), Napi::BigInt::New(env, seed));
    a.Set(uint32_t(1), Napi::BigInt::New(env, offset));
    return a;
  }
  // Both values arrive as BigInts (the TS side checks the state's shape).
  Napi::Value SetRngState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      TK_CHECK(info.Length() == 2 && info[0].IsBigInt() && info[1].IsBigInt(), INVALID_ARGUMENT,
               "setRngState: expected (seed: bigint, offset: bigint)");
      bool l0 = false, l1 = false;
      uint64_t seed = info[0].As<Napi::BigInt>().Uint64Value(&l0);
      uint64_t offset = info[1].As<Napi::BigInt>().Uint64Value(&l1);
      TK_CHECK(l0 && l1, INVALID_ARGUMENT, "setRngState: seed and offset must be unsigned 64-bit integers");
      tk::set_rng_state(seed, offset);
      return env.Undefined();
    });
  }
  Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto o = Napi::Object::New(env);
    o.Set("compiled", tk::cuda::compiled());
    o.Set("deviceCount", tk::cuda::device_count());
    o.Set("status", tk::cuda::status());
    return o;
  }

  static int device_index(const Napi::CallbackInfo& info, const char* op) {
    TK_CHECK(info[0].IsNumber(), INVALID_ARGUMENT, op, ": expected a device index");
    return info[0].As<Napi::Number>().Int32Value();
  }
  // cudaMemory(index): the device allocator's figures (CUDA_ERROR without that device).
  Napi::Value CudaMemory(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      tk::AllocatorStats s = tk::cuda::memory_stats(device_index(info, "cuda.memory"));
      auto o = Napi::Object::New(env);
      o.Set("allocatedBytes", double(s.allocated_bytes));
      o.Set("reservedBytes", double(s.reserved_bytes));
      o.Set("peakAllocatedBytes", double(s.peak_allocated_bytes));
      o.Set("peakReservedBytes", double(s.peak_reserved_bytes));
      o.Set("cachedBytes", double(s.cached_bytes));
      o.Set("allocCalls", double(s.alloc_calls));
      o.Set("cacheHits", double(s.cache_hits));
      o.Set("rawAllocs", double(s.raw_allocs));
      o.Set("rawFrees", double(s.raw_frees));
      o.Set("oomRetries", double(s.oom_retries));
      o.Set("ooms", double(s.ooms));
      return o;
    });
  }
  Napi::Value CudaResetPeak(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      tk::cuda::reset_peak_memory_stats(device_index(info, "cuda.resetPeakMemoryStats"));
      return env.Undefined();
    });
  }
  Napi::Value CudaEmptyCache(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      tk::cuda::empty_cache();
      return env.Undefined();
    });
  }
  Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guard(env, st_, [&]() -> Napi::Value {
      tk::cuda::synchronize(device_index(info, "cuda.synchronize"));
      return env.Undefined();
    });
  }

  Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const tk::cpu::CpuInfo& c = tk::cpu::cpu_info();
    auto o = Napi::Object::New(env);
    o.Set("capability", std::string(tk::cpu::capability_name(tk::cpu::active_capability())));
    o.Set("detected", std::string(tk::cpu::capability_name(c.detected)));
    o.Set("l1d", double(c.l1d));
    o.Set("l2", double(c.l2));
    o.Set("l3", double(c.l3));
    o.Set("vendor", c.vendor);
    o.Set("family", double(c.family));
    o.Set("model", double(c.model));
    o.Set("microarch", c.microarch);
    const tk::cpu::GemmChoice g = tk::cpu::gemm_choice();
    auto gemm = Napi::Object::New(env);
    gemm.Set("level", std::string(tk::cpu::capability_name(g.level)));
    gemm.Set("source", std::string(g.source));
    if (g.source == "calibrated" || g.avx512_gflops > 0) {
      gemm.Set("avx512Gflops", g.avx512_gflops);
      gemm.Set("avx2Gflops", g.avx2_gflops);
    }
    o.Set("gemm", gemm);
    return o;
  }

  std::unique_ptr<EnvState> owned_;
  EnvState& st_;
};

NODE_API_ADDON(TensorkitAddon)
