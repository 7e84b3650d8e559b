// dualbus_native: the NumericCores of src/kernels/cores.ts as a Node-API addon. Every export takes
// the same arguments in the same order as the JS cores; Float64Array arguments are read and written
// in place through their data pointers (SharedArrayBuffer-backed ones included: nothing is copied).
//
// Every argument is checked before any loop runs, and a wrong one throws a TypeError (wrong type) or
// RangeError (bad size, too short an array, an output overlapping an input) whose message names it,
// so that no call reads or writes outside its arrays. Arrays may be longer than needed: only the
// first elements are used.
//
// Node-API addons are context-aware: this one keeps no global state and loads in every worker thread.
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "kernels.h"

namespace {

struct F64 {
  double* data = nullptr;
  size_t length = 0;
};

// The largest size or product of sizes accepted: past it no array could hold the elements.
constexpr double kMaxSize = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER

std::string Describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "the number " + v.ToString().Utf8Value();
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    case napi_external: return "an external";
    case napi_object:
      break;
  }
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int8_array: return "an Int8Array";
      case napi_uint8_array: return "a Uint8Array";
      case napi_uint8_clamped_array: return "a Uint8ClampedArray";
      case napi_int16_array: return "an Int16Array";
      case napi_uint16_array: return "a Uint16Array";
      case napi_int32_array: return "an Int32Array";
      case napi_uint32_array: return "a Uint32Array";
      case napi_float32_array: return "a Float32Array";
      case napi_float64_array: return "a Float64Array";
      default: return "a typed array";
    }
  }
  if (v.IsArray()) return "an array";
  if (v.IsArrayBuffer()) return "an ArrayBuffer";
  return "an object";
}

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn) : info_(info), env_(info.Env()), fn_(fn) {}

  bool failed() const { return failed_; }
  Napi::Env env() const { return env_; }

  // Argument `index`, named `name`, must be a Float64Array.
  F64 Array(size_t index, const char* name) {
    F64 r;
    if (failed_) return r;
    Napi::Value v = info_[index];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      TypeErr(std::string(name) + " must be a Float64Array; got " + Describe(v));
      return r;
    }
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value buffer;
    size_t offset = 0;
    if (napi_get_typedarray_info(env_, v, &type, &length, &data, &buffer, &offset) != napi_ok) {
      TypeErr(std::string(name) + " must be a Float64Array (its data could not be read)");
      return r;
    }
    r.data = static_cast<double*>(data);
    r.length = data == nullptr ? 0 : length;  // a detached buffer has no data
    return r;
  }

  // Argument `index` must be a number that is a non-negative integer (a size or an index).
  size_t Size(size_t index, const char* name) {
    if (failed_) return 0;
    Napi::Value v = info_[index];
    if (!v.IsNumber()) {
      TypeErr(std::string(name) + " must be a number (a non-negative integer); got " + Describe(v));
      return 0;
    }
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0.0) || d > kMaxSize || std::floor(d) != d) {
      RangeErr(std::string(name) + " must be a non-negative integer; got " + v.ToString().Utf8Value());
      return 0;
    }
    return static_cast<size_t>(d);
  }

  double Number(size_t index, const char* name) {
    if (failed_) return 0.0;
    Napi::Value v = info_[index];
    if (!v.IsNumber()) {
      TypeErr(std::string(name) + " must be a number; got " + Describe(v));
      return 0.0;
    }
    return v.As<Napi::Number>().DoubleValue();
  }

  // The seed as JS's `seed >>> 0` reads it.
  uint32_t Seed(size_t index, const char* name) {
    if (failed_) return 0;
    Napi::Value v = info_[index];
    if (!v.IsNumber()) {
      TypeErr(std::string(name) + " must be a number; got " + Describe(v));
      return 0;
    }
    return v.As<Napi::Number>().Uint32Value();
  }

  // a * b, or a RangeError naming `what` when it passes Number.MAX_SAFE_INTEGER.
  size_t Product(size_t a, size_t b, const char* what) {
    if (failed_) return 0;
    if (a != 0 && static_cast<double>(a) * static_cast<double>(b) > kMaxSize) {
      RangeErr(std::string(what) + " is too large");
      return 0;
    }
    return a * b;
  }

  // The array named `name` must hold at least `needed` elements (`what` says why).
  void Need(const F64& arr, const char* name, size_t needed, const std::string& what) {
    if (failed_) return;
    if (arr.length < needed) {
      RangeErr(std::string(name) + " has length " + std::to_string(arr.length) + "; needs at least " + what + " = " +
               std::to_string(needed));
    }
  }

  // The first `out_len` elements of output `out_name` must not overlap the first `in_len` of `in_name`.
  void Disjoint(const F64& out, const char* out_name, size_t out_len, const F64& in, const char* in_name, size_t in_len) {
    if (failed_ || out_len == 0 || in_len == 0) return;
    const uintptr_t o0 = reinterpret_cast<uintptr_t>(out.data), o1 = o0 + out_len * sizeof(double);
    const uintptr_t i0 = reinterpret_cast<uintptr_t>(in.data), i1 = i0 + in_len * sizeof(double);
    if (o0 < i1 && i0 < o1) RangeErr(std::string(out_name) + " must not share memory with " + in_name);
  }

  void RangeErr(const std::string& msg) {
    if (failed_) return;
    failed_ = true;
    Napi::RangeError::New(env_, std::string(fn_) + ": " + msg).ThrowAsJavaScriptException();
  }

 private:
  void TypeErr(const std::string& msg) {
    if (failed_) return;
    failed_ = true;
    Napi::TypeError::New(env_, std::string(fn_) + ": " + msg).ThrowAsJavaScriptException();
  }

  const Napi::CallbackInfo& info_;
  Napi::Env env_;
  const char* fn_;
  bool failed_ = false;
};

// matmul(a, b, m, k, n, out)
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Args g(info, "matmul");
  F64 a = g.Array(0, "a"), b = g.Array(1, "b");
  size_t m = g.Size(2, "m"), k = g.Size(3, "k"), n = g.Size(4, "n");
  F64 out = g.Array(5, "out");
  size_t mk = g.Product(m, k, "m * k"), kn = g.Product(k, n, "k * n"), mn = g.Product(m, n, "m * n");
  g.Need(a, "a", mk, "m * k");
  g.Need(b, "b", kn, "k * n");
  g.Need(out, "out", mn, "m * n");
  g.Disjoint(out, "out", mn, a, "a", mk);
  g.Disjoint(out, "out", mn, b, "b", kn);
  if (g.failed()) return g.env().Undefined();
  dualbus::Matmul(a.data, b.data, m, k, n, out.data);
  return g.env().Undefined();
}

// dense(x, w, bias, rows, inputs, outputs, activation, out)
Napi::Value Dense(const Napi::CallbackInfo& info) {
  Args g(info, "dense");
  F64 x = g.Array(0, "x"), w = g.Array(1, "w"), bias = g.Array(2, "bias");
  size_t rows = g.Size(3, "rows"), inputs = g.Size(4, "inputs"), outputs = g.Size(5, "outputs");
  size_t activation = g.Size(6, "activation");
  F64 out = g.Array(7, "out");
  if (!g.failed() && activation > 2) g.RangeErr("activation must be 0 (linear), 1 (ReLU) or 2 (sigmoid); got " + std::to_string(activation));
  size_t xn = g.Product(rows, inputs, "rows * inputs"), wn = g.Product(inputs, outputs, "inputs * outputs");
  size_t on = g.Product(rows, outputs, "rows * outputs");
  g.Need(x, "x", xn, "rows * inputs");
  g.Need(w, "w", wn, "inputs * outputs");
  g.Need(bias, "bias", outputs, "outputs");
  g.Need(out, "out", on, "rows * outputs");
  g.Disjoint(out, "out", on, x, "x", xn);
  g.Disjoint(out, "out", on, w, "w", wn);
  g.Disjoint(out, "out", on, bias, "bias", outputs);
  if (g.failed()) return g.env().Undefined();
  dualbus::Dense(x.data, w.data, bias.data, rows, inputs, outputs, static_cast<int>(activation), out.data);
  return g.env().Undefined();
}

// portfolioPnl(returns, weights, t, n, out)
Napi::Value PortfolioPnl(const Napi::CallbackInfo& info) {
  Args g(info, "portfolioPnl");
  F64 returns = g.Array(0, "returns"), weights = g.Array(1, "weights");
  size_t t = g.Size(2, "t"), n = g.Size(3, "n");
  F64 out = g.Array(4, "out");
  size_t tn = g.Product(t, n, "t * n");
  g.Need(returns, "returns", tn, "t * n");
  g.Need(weights, "weights", n, "n");
  g.Need(out, "out", t, "t");
  g.Disjoint(out, "out", t, returns, "returns", tn);
  g.Disjoint(out, "out", t, weights, "weights", n);
  if (g.failed()) return g.env().Undefined();
  dualbus::PortfolioPnl(returns.data, weights.data, t, n, out.data);
  return g.env().Undefined();
}

// lowestFirst(values, k)
Napi::Value LowestFirst(const Napi::CallbackInfo& info) {
  Args g(info, "lowestFirst");
  F64 values = g.Array(0, "values");
  size_t k = g.Size(1, "k");
  g.Need(values, "values", k, "k");
  if (g.failed()) return g.env().Undefined();
  dualbus::LowestFirst(values.data, values.length, k);
  return g.env().Undefined();
}

// covariance(x, t, n, start, rows, out)
Napi::Value Covariance(const Napi::CallbackInfo& info) {
  Args g(info, "covariance");
  F64 x = g.Array(0, "x");
  size_t t = g.Size(1, "t"), n = g.Size(2, "n"), start = g.Size(3, "start"), rows = g.Size(4, "rows");
  F64 out = g.Array(5, "out");
  if (!g.failed() && (start > t || rows > t - start))
    g.RangeErr("start + rows must be at most t; got start " + std::to_string(start) + ", rows " + std::to_string(rows) +
               ", t " + std::to_string(t));
  size_t tn = g.Product(t, n, "t * n"), nn = g.Product(n, n, "n * n");
  g.Need(x, "x", tn, "t * n");
  g.Need(out, "out", nn, "n * n");
  g.Disjoint(out, "out", nn, x, "x", tn);
  if (g.failed()) return g.env().Undefined();
  dualbus::Covariance(x.data, n, start, rows, out.data);
  return g.env().Undefined();
}

// cholesky(a, n, out): boolean
Napi::Value Cholesky(const Napi::CallbackInfo& info) {
  Args g(info, "cholesky");
  F64 a = g.Array(0, "a");
  size_t n = g.Size(1, "n");
  F64 out = g.Array(2, "out");
  size_t nn = g.Product(n, n, "n * n");
  g.Need(a, "a", nn, "n * n");
  g.Need(out, "out", nn, "n * n");
  g.Disjoint(out, "out", nn, a, "a", nn);
  if (g.failed()) return g.env().Undefined();
  return Napi::Boolean::New(g.env(), dualbus::Cholesky(a.data, n, out.data));
}

// montecarloPnl(chol, mean, weights, n, paths, seed, out)
Napi::Value MontecarloPnl(const Napi::CallbackInfo& info) {
  Args g(info, "montecarloPnl");
  F64 chol = g.Array(0, "chol"), mean = g.Array(1, "mean"), weights = g.Array(2, "weights");
  size_t n = g.Size(3, "n"), paths = g.Size(4, "paths");
  uint32_t seed = g.Seed(5, "seed");
  F64 out = g.Array(6, "out");
  size_t nn = g.Product(n, n, "n * n");
  g.Need(chol, "chol", nn, "n * n");
  g.Need(mean, "mean", n, "n");
  g.Need(weights, "weights", n, "n");
  g.Need(out, "out", paths, "paths");
  g.Disjoint(out, "out", paths, chol, "chol", nn);
  g.Disjoint(out, "out", paths, mean, "mean", n);
  g.Disjoint(out, "out", paths, weights, "weights", n);
  if (g.failed()) return g.env().Undefined();
  dualbus::MontecarloPnl(chol.data, mean.data, weights.data, n, paths, seed, out.data);
  return g.env().Undefined();
}

// rollingMoments(x, t, n, window, outMean, outStd)
Napi::Value RollingMoments(const Napi::CallbackInfo& info) {
  Args g(info, "rollingMoments");
  F64 x = g.Array(0, "x");
  size_t t = g.Size(1, "t"), n = g.Size(2, "n"), window = g.Size(3, "window");
  F64 mean = g.Array(4, "outMean"), std = g.Array(5, "outStd");
  if (!g.failed() && window < 1) g.RangeErr("window must be at least 1; got 0");
  size_t tn = g.Product(t, n, "t * n");
  g.Need(x, "x", tn, "t * n");
  g.Need(mean, "outMean", tn, "t * n");
  g.Need(std, "outStd", tn, "t * n");
  g.Disjoint(mean, "outMean", tn, x, "x", tn);
  g.Disjoint(std, "outStd", tn, x, "x", tn);
  g.Disjoint(std, "outStd", tn, mean, "outMean", tn);
  if (g.failed()) return g.env().Undefined();
  dualbus::RollingMoments(x.data, t, n, window, mean.data, std.data);
  return g.env().Undefined();
}

// ewmaVolatility(x, t, n, lambda, out)
Napi::Value EwmaVolatility(const Napi::CallbackInfo& info) {
  Args g(info, "ewmaVolatility");
  F64 x = g.Array(0, "x");
  size_t t = g.Size(1, "t"), n = g.Size(2, "n");
  double lambda = g.Number(3, "lambda");
  F64 out = g.Array(4, "out");
  size_t tn = g.Product(t, n, "t * n");
  g.Need(x, "x", tn, "t * n");
  g.Need(out, "out", tn, "t * n");
  g.Disjoint(out, "out", tn, x, "x", tn);
  if (g.failed()) return g.env().Undefined();
  dualbus::EwmaVolatility(x.data, t, n, lambda, out.data);
  return g.env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, Matmul, "matmul"));
  exports.Set("dense", Napi::Function::New(env, Dense, "dense"));
  exports.Set("portfolioPnl", Napi::Function::New(env, PortfolioPnl, "portfolioPnl"));
  exports.Set("lowestFirst", Napi::Function::New(env, LowestFirst, "lowestFirst"));
  exports.Set("covariance", Napi::Function::New(env, Covariance, "covariance"));
  exports.Set("cholesky", Napi::Function::New(env, Cholesky, "cholesky"));
  exports.Set("montecarloPnl", Napi::Function::New(env, MontecarloPnl, "montecarloPnl"));
  exports.Set("rollingMoments", Napi::Function::New(env, RollingMoments, "rollingMoments"));
  exports.Set("ewmaVolatility", Napi::Function::New(env, EwmaVolatility, "ewmaVolatility"));
  return exports;
}

}  // namespace

NODE_API_MODULE(dualbus_native, Init)
