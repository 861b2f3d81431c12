// Calling any ATen operator by its schema name through the c10 dispatcher (boxed calls).
// This is what keeps the native layer thin: the TypeScript tensor API maps its methods to
// operator names (`aten::add.Tensor`, `aten::scaled_dot_product_attention`, ...) and the
// dispatcher routes to the right kernel (CPU/CUDA, autograd, autocast) exactly as it does for
// PyTorch. Arguments are converted by the operator's schema, so new ops need no C++.
#include "common.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

namespace rlvr {
namespace {

enum class Kind {
  Tensor, OptTensor, Int, Float, Scalar, Bool, IntList, FloatList, BoolList, TensorList,
  OptTensorList, String, Device, Generator, Other
};

struct OpHandle {
  c10::OperatorHandle op;
  std::vector<Kind> kinds;
  std::vector<bool> optional;
  std::vector<std::optional<c10::IValue>> defaults;
  std::string name;
};

Kind kindOf(const c10::TypePtr& t) {
  switch (t->kind()) {
    case c10::TypeKind::TensorType: return Kind::Tensor;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: return Kind::Int;
    case c10::TypeKind::FloatType: return Kind::Float;
    case c10::TypeKind::NumberType: return Kind::Scalar;
    case c10::TypeKind::BoolType: return Kind::Bool;
    case c10::TypeKind::StringType: return Kind::String;
    case c10::TypeKind::DeviceObjType: return Kind::Device;
    case c10::TypeKind::GeneratorType: return Kind::Generator;
    case c10::TypeKind::ListType: {
      auto elem = t->containedType(0);
      switch (elem->kind()) {
        case c10::TypeKind::IntType:
        case c10::TypeKind::SymIntType: return Kind::IntList;
        case c10::TypeKind::FloatType: return Kind::FloatList;
        case c10::TypeKind::BoolType: return Kind::BoolList;
        case c10::TypeKind::TensorType: return Kind::TensorList;
        case c10::TypeKind::OptionalType:
          if (elem->containedType(0)->kind() == c10::TypeKind::TensorType) return Kind::OptTensorList;
          return Kind::Other;
        default: return Kind::Other;
      }
    }
    case c10::TypeKind::OptionalType: {
      Kind inner = kindOf(t->containedType(0));
      return inner == Kind::Tensor ? Kind::OptTensor : inner;
    }
    default: return Kind::Other;
  }
}

void finalizeOp(Napi::Env, OpHandle* h) { delete h; }

// lookup(name, overload) -> op handle. Done once per op by the TS layer and cached.
Napi::Value Lookup(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    std::string name = info[0].As<Napi::String>();
    std::string overload = info[1].As<Napi::String>();
    auto op = c10::Dispatcher::singleton().findSchemaOrThrow(name.c_str(), overload.c_str());
    auto* h = new OpHandle{op, {}, {}, {}, name + (overload.empty() ? "" : "." + overload)};
    for (const auto& arg : op.schema().arguments()) {
      // ScalarType/Layout/MemoryFormat are ints in the boxed world: type() (not real_type()) says so.
      h->kinds.push_back(kindOf(arg.type()));
      h->optional.push_back(arg.type()->kind() == c10::TypeKind::OptionalType);
      h->defaults.push_back(arg.default_value());
    }
    return Napi::External<OpHandle>::New(info.Env(), h, finalizeOp);
  });
}

int64_t toInt(const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless;
    return v.As<Napi::BigInt>().Int64Value(&lossless);
  }
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  return v.As<Napi::Number>().Int64Value();
}

c10::Scalar toScalar(const Napi::Value& v) {
  if (v.IsBoolean()) return c10::Scalar(v.As<Napi::Boolean>().Value());
  if (v.IsBigInt()) return c10::Scalar(toInt(v));
  double d = v.As<Napi::Number>().DoubleValue();
  // Integral JS numbers become integer scalars so that integer tensors keep their dtype
  // (PyTorch's `t + 1` on an int64 tensor stays int64).
  if (std::isfinite(d) && d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 9.0e15)
    return c10::Scalar(static_cast<int64_t>(d));
  return c10::Scalar(d);
}

c10::IValue toIValue(const Napi::Value& v, Kind kind, const OpHandle& h, size_t i) {
  switch (kind) {
    case Kind::Tensor:
    case Kind::OptTensor: return c10::IValue(unwrapTensor(v));
    case Kind::Int: return c10::IValue(toInt(v));
    case Kind::Float: return c10::IValue(v.As<Napi::Number>().DoubleValue());
    case Kind::Scalar: return c10::IValue(toScalar(v));
    case Kind::Bool: return c10::IValue(v.ToBoolean().Value());
    case Kind::String: return c10::IValue(std::string(v.As<Napi::String>()));
    case Kind::Device: return c10::IValue(parseDevice(v.As<Napi::String>()));
    case Kind::Generator: return c10::IValue(*v.As<Napi::External<at::Generator>>().Data());
    case Kind::IntList: {
      if (v.IsNumber() || v.IsBigInt()) return c10::IValue(std::vector<int64_t>{toInt(v)});
      auto arr = v.As<Napi::Array>();
      std::vector<int64_t> out(arr.Length());
      for (uint32_t j = 0; j < arr.Length(); j++) out[j] = toInt(arr.Get(j));
      return c10::IValue(out);
    }
    case Kind::FloatList: {
      auto arr = v.As<Napi::Array>();
      std::vector<double> out(arr.Length());
      for (uint32_t j = 0; j < arr.Length(); j++) out[j] = arr.Get(j).As<Napi::Number>().DoubleValue();
      return c10::IValue(out);
    }
    case Kind::BoolList: {
      auto arr = v.As<Napi::Array>();
      c10::List<bool> out;
      for (uint32_t j = 0; j < arr.Length(); j++) out.push_back(arr.Get(j).ToBoolean().Value());
      return c10::IValue(out);
    }
    case Kind::TensorList: {
      auto arr = v.As<Napi::Array>();
      std::vector<at::Tensor> out;
      out.reserve(arr.Length());
      for (uint32_t j = 0; j < arr.Length(); j++) out.push_back(unwrapTensor(arr.Get(j)));
      return c10::IValue(out);
    }
    case Kind::OptTensorList: {
      auto arr = v.As<Napi::Array>();
      c10::List<std::optional<at::Tensor>> out;
      for (uint32_t j = 0; j < arr.Length(); j++) {
        Napi::Value e = arr.Get(j);
        if (e.IsNull() || e.IsUndefined()) out.push_back(std::nullopt);
        else out.push_back(unwrapTensor(e));
      }
      return c10::IValue(out);
    }
    case Kind::Other: break;
  }
  throw std::runtime_error(h.name + ": argument " + std::to_string(i) +
                           " has a type the addon cannot convert from JS (pass null to use its default)");
}

Napi::Value fromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return wrapTensor(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) arr.Set(i, wrapTensor(env, list.get(i)));
    return arr;
  }
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    auto arr = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); i++) arr.Set(i, fromIValue(env, elems[i]));
    return arr;
  }
  if (v.isList()) {
    auto list = v.toList();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) arr.Set(i, fromIValue(env, list.get(i)));
    return arr;
  }
  if (v.isScalar()) {
    auto s = v.toScalar();
    return Napi::Number::New(env, s.toDouble());
  }
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  throw std::runtime_error("operator returned a value the addon cannot convert: " + v.tagKind());
}

// call(op, ...args) -> result. Missing trailing args (or `undefined`) take the schema default;
// `null` means None for optional arguments. Arguments come as JS call arguments, not an array:
// building and reading an array costs more than the small ops themselves.
Napi::Value Call(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto* h = info[0].As<Napi::External<OpHandle>>().Data();
    const size_t n = h->kinds.size();
    const size_t given = info.Length() - 1;
    torch::jit::Stack stack;
    stack.reserve(n);
    for (size_t i = 0; i < n; i++) {
      Napi::Value v = i < given ? info[i + 1] : info.Env().Undefined();
      if (v.IsUndefined()) {
        if (h->defaults[i].has_value()) { stack.push_back(*h->defaults[i]); continue; }
        if (h->optional[i]) { stack.emplace_back(); continue; }
        throw std::runtime_error(h->name + ": missing required argument " +
                                 h->op.schema().arguments()[i].name());
      }
      if (v.IsNull()) {
        if (!h->optional[i]) throw std::runtime_error(h->name + ": argument " +
                                                      h->op.schema().arguments()[i].name() + " cannot be null");
        stack.emplace_back();
        continue;
      }
      stack.push_back(toIValue(v, h->kinds[i], *h, i));
    }
    h->op.callBoxed(stack);
    if (stack.empty()) return info.Env().Undefined();
    if (stack.size() == 1) return fromIValue(info.Env(), stack[0]);
    auto arr = Napi::Array::New(info.Env(), stack.size());
    for (size_t i = 0; i < stack.size(); i++) arr.Set(i, fromIValue(info.Env(), stack[i]));
    return arr;
  });
}

// schema(op) -> string, for error messages and debugging from TS.
Napi::Value Schema(const Napi::CallbackInfo& info) {
  auto* h = info[0].As<Napi::External<OpHandle>>().Data();
  std::ostringstream os;
  os << h->op.schema();
  return Napi::String::New(info.Env(), os.str());
}

}  // namespace

void initDispatch(Napi::Env env, Napi::Object exports) {
  exports.Set("lookup", Napi::Function::New(env, Lookup));
  exports.Set("call", Napi::Function::New(env, Call));
  exports.Set("schema", Napi::Function::New(env, Schema));
}

}  // namespace rlvr
