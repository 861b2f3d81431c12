// Autograd entry points, grad/inference modes, random generators, threads and accelerator
// (CUDA) helpers. Accelerator helpers go through ATen's device-generic interfaces, so this file
// compiles and links against the CPU wheel too; CUDA graphs live in cuda_graph.cc.
#include "common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/DeviceAccelerator.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/variable.h>

#include <memory>
#include <vector>

namespace rlvr {
namespace {

std::vector<at::Tensor> tensorList(const Napi::Value& v, bool allowNull) {
  std::vector<at::Tensor> out;
  if (v.IsUndefined() || v.IsNull()) return out;
  auto arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value e = arr.Get(i);
    if (allowNull && (e.IsNull() || e.IsUndefined())) out.emplace_back();
    else out.push_back(unwrapTensor(e));
  }
  return out;
}

Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    unwrapTensor(info[0]).requires_grad_(info[1].ToBoolean().Value());
    return info.Env().Undefined();
  });
}

Napi::Value Grad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const at::Tensor& g = unwrapTensor(info[0]).grad();
    if (!g.defined()) return info.Env().Null();
    return wrapTensor(info.Env(), g);
  });
}

// setGrad(t, g | null): null clears the gradient (the cheap "zero_grad(set_to_none=True)").
Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::Tensor& t = unwrapTensor(info[0]);
    if (info[1].IsNull() || info[1].IsUndefined()) t.mutable_grad().reset();
    else t.mutable_grad() = unwrapTensor(info[1]);
    return info.Env().Undefined();
  });
}

Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value { return Napi::Boolean::New(info.Env(), unwrapTensor(info[0]).is_leaf()); });
}

// backward(tensors, grads | null, retainGraph, createGraph)
Napi::Value Backward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto tensors = tensorList(info[0], false);
    auto grads = tensorList(info[1], true);
    bool retain = info[2].ToBoolean().Value();
    bool create = info[3].ToBoolean().Value();
    torch::autograd::backward(tensors, grads, retain, create);
    return info.Env().Undefined();
  });
}

// grad(outputs, inputs, gradOutputs | null, retainGraph, createGraph, allowUnused) -> (tensor|null)[]
Napi::Value AutogradGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto outputs = tensorList(info[0], false);
    auto inputs = tensorList(info[1], false);
    auto gradOutputs = tensorList(info[2], true);
    bool retain = info[3].ToBoolean().Value();
    bool create = info[4].ToBoolean().Value();
    bool allowUnused = info[5].ToBoolean().Value();
    auto result = torch::autograd::grad(outputs, inputs, gradOutputs, retain, create, allowUnused);
    auto arr = Napi::Array::New(info.Env(), result.size());
    for (size_t i = 0; i < result.size(); i++)
      arr.Set(i, result[i].defined() ? wrapTensor(info.Env(), result[i]) : info.Env().Null());
    return arr;
  });
}

// setGradEnabled(bool) -> previous value. TS wraps this in noGrad(fn) with try/finally.
Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  bool prev = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), prev);
}

Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

// Inference mode is an RAII guard in C++; JS enters/exits it strictly nested (inferenceMode(fn)).
std::vector<std::unique_ptr<c10::InferenceMode>> g_inference;

Napi::Value EnterInference(const Napi::CallbackInfo& info) {
  g_inference.push_back(std::make_unique<c10::InferenceMode>(true));
  return info.Env().Undefined();
}

Napi::Value ExitInference(const Napi::CallbackInfo& info) {
  if (!g_inference.empty()) g_inference.pop_back();
  return info.Env().Undefined();
}

Napi::Value IsInference(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled());
}

// ---- random generators ------------------------------------------------------------------

void finalizeGenerator(Napi::Env, at::Generator* g) { delete g; }

at::Generator defaultGenerator(const c10::Device& dev) {
  if (dev.is_cpu()) return at::detail::getDefaultCPUGenerator();
  return at::globalContext().getAcceleratorHooksInterface(dev.type()).getDefaultGenerator(dev.index() < 0 ? 0 : dev.index());
}

// manualSeed(seed): seeds the default generators of the CPU and every accelerator device.
Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    uint64_t seed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    }
    auto acc = at::accelerator::getAccelerator(false);
    if (acc.has_value()) {
      for (c10::DeviceIndex i = 0; i < at::accelerator::deviceCount(); i++) {
        auto gen = defaultGenerator(c10::Device(*acc, i));
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(seed);
      }
    }
    return info.Env().Undefined();
  });
}

// newGenerator(device, seed) -> generator handle, independent of the default one.
Napi::Value NewGenerator(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    c10::Device dev = parseDevice(info[0].As<Napi::String>());
    uint64_t seed = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
    at::Generator gen = dev.is_cpu()
        ? at::detail::createCPUGenerator(seed)
        // 'cuda' without an index: the current device (a rank's own after setDevice), as tensors made on 'cuda' are.
        : at::globalContext().getAcceleratorHooksInterface(dev.type()).getNewGenerator(dev.index() < 0 ? at::accelerator::getDeviceIndex() : dev.index());
    gen.set_current_seed(seed);
    return Napi::External<at::Generator>::New(info.Env(), new at::Generator(gen), finalizeGenerator);
  });
}

at::Generator generatorArg(const Napi::Value& v) {
  if (v.IsString()) return defaultGenerator(parseDevice(v.As<Napi::String>()));
  return *v.As<Napi::External<at::Generator>>().Data();
}

// generatorState(gen | deviceString) -> uint8 tensor; setGeneratorState(gen | device, tensor).
// Checkpoints save these so that a resumed run samples exactly what the uninterrupted one did.
Napi::Value GeneratorState(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::Generator gen = generatorArg(info[0]);
    std::lock_guard<std::mutex> lock(gen.mutex());
    return wrapTensor(info.Env(), gen.get_state());
  });
}

Napi::Value SetGeneratorState(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::Generator gen = generatorArg(info[0]);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(unwrapTensor(info[1]));
    return info.Env().Undefined();
  });
}

// ---- threads and accelerators -------------------------------------------------------------

c10::DeviceIndex deviceIndexArg(const Napi::Value& v) {
  return static_cast<c10::DeviceIndex>(v.As<Napi::Number>().Int32Value());
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::set_num_threads(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  });
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

// accelerator() -> 'cuda' | 'mps' | ... | null, with deviceCount.
Napi::Value Accelerator(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto acc = at::accelerator::getAccelerator(false);
    auto obj = Napi::Object::New(info.Env());
    if (!acc.has_value() || at::accelerator::deviceCount() == 0) {
      obj.Set("type", info.Env().Null());
      obj.Set("count", Napi::Number::New(info.Env(), 0));
    } else {
      obj.Set("type", Napi::String::New(info.Env(), c10::DeviceTypeName(*acc, true)));
      obj.Set("count", Napi::Number::New(info.Env(), at::accelerator::deviceCount()));
    }
    return obj;
  });
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::accelerator::synchronizeDevice(deviceIndexArg(info[0]));
    return info.Env().Undefined();
  });
}

// setDevice(index): the current device of this process (cudaSetDevice for CUDA). A rank of a
// data-parallel run sets its own before any CUDA work: streams from the pool, graphs and NCCL
// otherwise default to device 0.
Napi::Value SetDevice(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::accelerator::setDeviceIndex(deviceIndexArg(info[0]));
    return info.Env().Undefined();
  });
}

Napi::Value CurrentDevice(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), at::accelerator::getDeviceIndex());
  });
}

Napi::Value MemoryStats(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto idx = deviceIndexArg(info[0]);
    auto stats = at::accelerator::getDeviceStats(idx);
    auto env = info.Env();
    auto obj = Napi::Object::New(env);
    const size_t agg = 0;  // StatType::AGGREGATE
    obj.Set("allocatedBytes", Napi::Number::New(env, static_cast<double>(stats.allocated_bytes[agg].current)));
    obj.Set("peakAllocatedBytes", Napi::Number::New(env, static_cast<double>(stats.allocated_bytes[agg].peak)));
    obj.Set("reservedBytes", Napi::Number::New(env, static_cast<double>(stats.reserved_bytes[agg].current)));
    obj.Set("peakReservedBytes", Napi::Number::New(env, static_cast<double>(stats.reserved_bytes[agg].peak)));
    obj.Set("activeBytes", Napi::Number::New(env, static_cast<double>(stats.active_bytes[agg].current)));
    obj.Set("allocRetries", Napi::Number::New(env, static_cast<double>(stats.num_alloc_retries)));
    auto [freeB, totalB] = at::accelerator::getMemoryInfo(idx);
    obj.Set("freeBytes", Napi::Number::New(env, static_cast<double>(freeB)));
    obj.Set("totalBytes", Napi::Number::New(env, static_cast<double>(totalB)));
    return obj;
  });
}

Napi::Value ResetPeakStats(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::accelerator::resetPeakStats(deviceIndexArg(info[0]));
    return info.Env().Undefined();
  });
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::accelerator::emptyCache();
    return info.Env().Undefined();
  });
}

}  // namespace

void initAutograd(Napi::Env env, Napi::Object exports) {
  exports.Set("setRequiresGrad", Napi::Function::New(env, SetRequiresGrad));
  exports.Set("grad", Napi::Function::New(env, Grad));
  exports.Set("setGrad", Napi::Function::New(env, SetGrad));
  exports.Set("isLeaf", Napi::Function::New(env, IsLeaf));
  exports.Set("backward", Napi::Function::New(env, Backward));
  exports.Set("autogradGrad", Napi::Function::New(env, AutogradGrad));
  exports.Set("setGradEnabled", Napi::Function::New(env, SetGradEnabled));
  exports.Set("isGradEnabled", Napi::Function::New(env, IsGradEnabled));
  exports.Set("enterInference", Napi::Function::New(env, EnterInference));
  exports.Set("exitInference", Napi::Function::New(env, ExitInference));
  exports.Set("isInference", Napi::Function::New(env, IsInference));
}

void initDevice(Napi::Env env, Napi::Object exports) {
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed));
  exports.Set("newGenerator", Napi::Function::New(env, NewGenerator));
  exports.Set("generatorState", Napi::Function::New(env, GeneratorState));
  exports.Set("setGeneratorState", Napi::Function::New(env, SetGeneratorState));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  exports.Set("accelerator", Napi::Function::New(env, Accelerator));
  exports.Set("synchronize", Napi::Function::New(env, Synchronize));
  exports.Set("memoryStats", Napi::Function::New(env, MemoryStats));
  exports.Set("setDevice", Napi::Function::New(env, SetDevice));
  exports.Set("currentDevice", Napi::Function::New(env, CurrentDevice));
  exports.Set("resetPeakStats", Napi::Function::New(env, ResetPeakStats));
  exports.Set("emptyCache", Napi::Function::New(env, EmptyCache));
}

}  // namespace rlvr
