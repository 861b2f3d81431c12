// Shared pieces of the addon: the tensor box that JS holds, and error conversion.
// The addon is deliberately thin: it marshals values, turns libtorch errors into JS
// exceptions and manages lifetime. Everything else lives in TypeScript (src/engine).
#pragma once

#include <napi.h>
#include <ATen/ATen.h>

namespace rlvr {

// What a JS Tensor holds is a small integer: the index of a slot in a table of at::Tensor.
// Measured on CPU: an External with a GC finalizer cost ~1.4 us per tensor (more than the op
// itself), a slot id costs nothing. Freeing is deterministic (`dispose(id)`, driven by the TS
// scopes); there is no GC safety net, and `liveCount()` exposes leaks to tests. The table is
// touched only from the JS main thread.
Napi::Value wrapTensor(Napi::Env env, at::Tensor t);
at::Tensor& unwrapTensor(const Napi::Value& v);
// Number of live (not yet disposed) boxes: lets tests and the memory benchmark see leaks.
int64_t liveTensorCount();

c10::Device parseDevice(const std::string& s);
at::ScalarType scalarTypeFromCode(int code);

// Runs `body`, converting any libtorch/std exception into a JS exception with libtorch's
// message (without the C++ backtrace). The process must never abort on a bad call.
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::OutOfMemoryError& e) {
    Napi::Error err = Napi::Error::New(info.Env(), e.what_without_backtrace());
    err.Set("code", Napi::String::New(info.Env(), "OUT_OF_MEMORY"));
    throw err;
  } catch (const c10::Error& e) {
    Napi::Error err = Napi::Error::New(info.Env(), e.what_without_backtrace());
    // The CPU allocator reports exhaustion as a plain c10::Error; tag it like CUDA's OOM.
    if (std::string(e.what_without_backtrace()).find("allocate") != std::string::npos)
      err.Set("code", Napi::String::New(info.Env(), "OUT_OF_MEMORY"));
    throw err;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

void initDispatch(Napi::Env env, Napi::Object exports);
void initTensorIO(Napi::Env env, Napi::Object exports);
void initAutograd(Napi::Env env, Napi::Object exports);
void initDevice(Napi::Env env, Napi::Object exports);

}  // namespace rlvr
