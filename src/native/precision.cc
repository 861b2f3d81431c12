// Mixed precision switches: autocast (per device type, through the dispatcher's Autocast keys,
// exactly as torch.autocast does) and TF32 for float32 matmuls on CUDA. Thin: the policy of
// when to turn them on lives in src/engine/precision.ts.
#include "common.h"

#include <ATen/autocast_mode.h>
#include <ATen/Context.h>
#include <ATen/cpu/Utils.h>

namespace rlvr {
namespace {

c10::DeviceType deviceTypeArg(const Napi::Value& v) {
  return parseDevice(v.As<Napi::String>()).type();
}

// autocastEnter(deviceType, dtypeCode) -> [wasEnabled, previousDtypeCode]. Increments the
// nesting count so that the cast cache (weights cast once per region) is cleared at the
// outermost exit, as torch.autocast.__exit__ does.
Napi::Value AutocastEnter(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto type = deviceTypeArg(info[0]);
    auto dtype = scalarTypeFromCode(info[1].As<Napi::Number>().Int32Value());
    bool was = at::autocast::is_autocast_enabled(type);
    auto prevDtype = at::autocast::get_autocast_dtype(type);
    at::autocast::set_autocast_enabled(type, true);
    at::autocast::set_autocast_dtype(type, dtype);
    at::autocast::increment_nesting();
    auto arr = Napi::Array::New(info.Env(), 2);
    arr.Set(0u, Napi::Boolean::New(info.Env(), was));
    arr.Set(1u, Napi::Number::New(info.Env(), static_cast<int>(prevDtype)));
    return arr;
  });
}

// autocastExit(deviceType, wasEnabled, previousDtypeCode): restores the state saved by enter.
Napi::Value AutocastExit(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto type = deviceTypeArg(info[0]);
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(type, info[1].ToBoolean().Value());
    at::autocast::set_autocast_dtype(type, scalarTypeFromCode(info[2].As<Napi::Number>().Int32Value()));
    return info.Env().Undefined();
  });
}

// autocastSetEnabled(deviceType, bool) -> previous. Leaves the nesting count (and so the cache
// of cast weights) alone: used to run backward outside autocast inside a long region.
Napi::Value AutocastSetEnabled(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto type = deviceTypeArg(info[0]);
    bool was = at::autocast::is_autocast_enabled(type);
    at::autocast::set_autocast_enabled(type, info[1].ToBoolean().Value());
    return Napi::Boolean::New(info.Env(), was);
  });
}

// autocastState(deviceType) -> [enabled, dtypeCode]
Napi::Value AutocastState(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto type = deviceTypeArg(info[0]);
    auto arr = Napi::Array::New(info.Env(), 2);
    arr.Set(0u, Napi::Boolean::New(info.Env(), at::autocast::is_autocast_enabled(type)));
    arr.Set(1u, Napi::Number::New(info.Env(), static_cast<int>(at::autocast::get_autocast_dtype(type))));
    return arr;
  });
}

// setAllowTF32(bool) -> previous: TF32 tensor cores for float32 matmuls (cuBLAS) and convolutions
// (cuDNN). Only CUDA kernels read these flags; on CPU they change nothing.
Napi::Value SetAllowTF32(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto& ctx = at::globalContext();
    bool prev = ctx.allowTF32CuBLAS();
    bool on = info[0].ToBoolean().Value();
    ctx.setAllowTF32CuBLAS(on);
    ctx.setAllowTF32CuDNN(on);
    return Napi::Boolean::New(info.Env(), prev);
  });
}

Napi::Value AllowTF32(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return Napi::Boolean::New(info.Env(), at::globalContext().allowTF32CuBLAS());
  });
}

// cpuCapabilities() -> {avx512Bf16, amxBf16, mkldnn, cpu}: what libtorch's cpuinfo found (the
// instructions oneDNN's bf16 matmul kernels use) and whether oneDNN is built in and enabled, so
// that computeDtype 'auto' picks bf16 on CPU only where the hardware has it (src/engine/precision.ts).
Napi::Value CpuCapabilities(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto caps = at::cpu::get_cpu_capabilities();
    auto flag = [&](const char* name) {
      auto it = caps.find(name);
      return it != caps.end() && it->second.isBool() && it->second.toBool();
    };
    auto out = Napi::Object::New(info.Env());
    out.Set("avx512Bf16", Napi::Boolean::New(info.Env(), flag("avx512_bf16")));
    out.Set("amxBf16", Napi::Boolean::New(info.Env(), flag("amx_bf16")));
    out.Set("mkldnn", Napi::Boolean::New(info.Env(), at::hasMKLDNN() && at::globalContext().userEnabledMkldnn()));
    auto name = caps.find("cpu_name");
    out.Set("cpu", Napi::String::New(info.Env(), name != caps.end() && name->second.isString() ? name->second.toStringRef() : std::string()));
    return out;
  });
}

}  // namespace

void initPrecision(Napi::Env env, Napi::Object exports) {
  exports.Set("autocastEnter", Napi::Function::New(env, AutocastEnter));
  exports.Set("autocastExit", Napi::Function::New(env, AutocastExit));
  exports.Set("autocastSetEnabled", Napi::Function::New(env, AutocastSetEnabled));
  exports.Set("autocastState", Napi::Function::New(env, AutocastState));
  exports.Set("setAllowTF32", Napi::Function::New(env, SetAllowTF32));
  exports.Set("allowTF32", Napi::Function::New(env, AllowTF32));
  exports.Set("cpuCapabilities", Napi::Function::New(env, CpuCapabilities));
}

}  // namespace rlvr
