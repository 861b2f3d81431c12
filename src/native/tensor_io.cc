// Tensor lifetime (wrap / dispose), metadata, and copies between JS memory and tensors.
#include "common.h"

#include <vector>
#include <cstring>

namespace rlvr {

static std::vector<at::Tensor> g_slots;
static std::vector<uint32_t> g_free;
static int64_t g_live = 0;

int64_t liveTensorCount() { return g_live; }

Napi::Value wrapTensor(Napi::Env env, at::Tensor t) {
  uint32_t id;
  if (!g_free.empty()) {
    id = g_free.back();
    g_free.pop_back();
    g_slots[id] = std::move(t);
  } else {
    id = static_cast<uint32_t>(g_slots.size());
    g_slots.push_back(std::move(t));
  }
  g_live++;
  return Napi::Number::New(env, id);
}

at::Tensor& unwrapTensor(const Napi::Value& v) {
  if (!v.IsNumber()) throw std::runtime_error("expected a tensor");
  uint32_t id = v.As<Napi::Number>().Uint32Value();
  if (id >= g_slots.size() || !g_slots[id].defined()) throw std::runtime_error("tensor was already disposed");
  return g_slots[id];
}

c10::Device parseDevice(const std::string& s) { return c10::Device(s); }

at::ScalarType scalarTypeFromCode(int code) { return static_cast<at::ScalarType>(code); }

namespace {

// dispose(t): frees the storage now (if no view or autograd graph still references it).
Napi::Value Dispose(const Napi::CallbackInfo& info) {
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  if (id < g_slots.size() && g_slots[id].defined()) {
    g_slots[id].reset();
    g_free.push_back(id);
    g_live--;
  }
  return info.Env().Undefined();
}

Napi::Value LiveCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(liveTensorCount()));
}

// meta(t) -> [dtypeCode, deviceString, requiresGrad, ...sizes]: one call for everything the
// TS Tensor object caches, so shape/dtype reads cost no further crossings.
Napi::Value Meta(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const at::Tensor& t = unwrapTensor(info[0]);
    auto sizes = t.sizes();
    auto arr = Napi::Array::New(info.Env(), 3 + sizes.size());
    arr.Set(0u, Napi::Number::New(info.Env(), static_cast<int>(t.scalar_type())));
    arr.Set(1u, Napi::String::New(info.Env(), t.device().str()));
    arr.Set(2u, Napi::Boolean::New(info.Env(), t.requires_grad()));
    for (size_t i = 0; i < sizes.size(); i++)
      arr.Set(static_cast<uint32_t>(3 + i), Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
    return arr;
  });
}

Napi::Value Strides(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const at::Tensor& t = unwrapTensor(info[0]);
    auto strides = t.strides();
    auto arr = Napi::Array::New(info.Env(), strides.size());
    for (size_t i = 0; i < strides.size(); i++) arr.Set(i, Napi::Number::New(info.Env(), static_cast<double>(strides[i])));
    return arr;
  });
}

// fromBuffer(bytes: Uint8Array view, dtypeCode, shape, device) -> tensor (a copy).
Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto bytes = info[0].As<Napi::TypedArray>();
    auto dtype = scalarTypeFromCode(info[1].As<Napi::Number>().Int32Value());
    auto shapeArr = info[2].As<Napi::Array>();
    std::vector<int64_t> shape(shapeArr.Length());
    for (uint32_t i = 0; i < shapeArr.Length(); i++) shape[i] = shapeArr.Get(i).As<Napi::Number>().Int64Value();
    std::string device = info[3].As<Napi::String>();
    auto ab = bytes.ArrayBuffer();
    uint8_t* data = static_cast<uint8_t*>(ab.Data()) + bytes.ByteOffset();
    int64_t numel = 1;
    for (auto s : shape) numel *= s;
    const size_t need = static_cast<size_t>(numel) * c10::elementSize(dtype);
    if (bytes.ByteLength() != need)
      throw std::runtime_error("fromBuffer: " + std::to_string(bytes.ByteLength()) + " bytes given, shape needs " +
                               std::to_string(need));
    at::Tensor cpu = at::empty(shape, at::TensorOptions().dtype(dtype));
    if (need) std::memcpy(cpu.data_ptr(), data, need);
    c10::Device dev = parseDevice(device);
    return wrapTensor(info.Env(), dev.is_cpu() ? cpu : cpu.to(dev));
  });
}

// toBuffer(t) -> ArrayBuffer with the tensor's elements, contiguous, row-major (a copy).
Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::Tensor t = unwrapTensor(info[0]).detach().to(at::kCPU).contiguous();
    const size_t n = t.numel() * t.element_size();
    auto ab = Napi::ArrayBuffer::New(info.Env(), n);
    if (n) std::memcpy(ab.Data(), t.data_ptr(), n);
    return ab;
  });
}

// item(t) -> number (for a one-element tensor).
Napi::Value Item(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const at::Tensor& t = unwrapTensor(info[0]);
    auto s = t.item();
    if (s.isBoolean()) return Napi::Boolean::New(info.Env(), s.toBool());
    return Napi::Number::New(info.Env(), s.toDouble());
  });
}

// Pointer identity of the underlying storage: lets TS tell whether two tensors share memory.
Napi::Value DataPtr(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const at::Tensor& t = unwrapTensor(info[0]);
    return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(t.data_ptr())));
  });
}

}  // namespace

void initTensorIO(Napi::Env env, Napi::Object exports) {
  exports.Set("dispose", Napi::Function::New(env, Dispose));
  exports.Set("liveCount", Napi::Function::New(env, LiveCount));
  exports.Set("meta", Napi::Function::New(env, Meta));
  exports.Set("strides", Napi::Function::New(env, Strides));
  exports.Set("fromBuffer", Napi::Function::New(env, FromBuffer));
  exports.Set("toBuffer", Napi::Function::New(env, ToBuffer));
  exports.Set("item", Napi::Function::New(env, Item));
  exports.Set("dataPtr", Napi::Function::New(env, DataPtr));
}

}  // namespace rlvr
