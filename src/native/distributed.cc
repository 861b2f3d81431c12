// c10d, PyTorch's own distributed engine, as handles: a TCPStore (rendezvous), process groups
// (gloo in every libtorch, NCCL in CUDA builds with nccl.h) and their collectives. Thin: which
// collective to run when, bucketing and error wording live in src/dist/*.ts.
//
// Every collective waits for its completion before returning (gloo runs on its own threads; the
// JS thread blocks). A failure (a peer's socket closed, a timeout) arrives as a JS exception.
#include "common.h"

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#if defined(RLVR_WITH_CUDA) && defined(RLVR_WITH_NCCL)
#include <c10/cuda/CUDAGuard.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>

namespace rlvr {
namespace {

using Millis = std::chrono::milliseconds;

struct StoreBox {
  c10::intrusive_ptr<c10d::Store> store;
};
struct GroupBox {
  c10::intrusive_ptr<c10d::Backend> backend;
};

void finalizeStore(Napi::Env, StoreBox* b) { delete b; }
void finalizeGroup(Napi::Env, GroupBox* b) { delete b; }

c10d::Backend& groupArg(const Napi::Value& v) {
  auto* box = v.As<Napi::External<GroupBox>>().Data();
  if (!box->backend) throw std::runtime_error("the process group was closed");
  return *box->backend;
}

c10d::ReduceOp reduceOpArg(const Napi::Value& v) {
  std::string s = v.As<Napi::String>();
  if (s == "sum") return c10d::ReduceOp(c10d::ReduceOp::SUM);
  if (s == "max") return c10d::ReduceOp(c10d::ReduceOp::MAX);
  if (s == "min") return c10d::ReduceOp(c10d::ReduceOp::MIN);
  if (s == "product") return c10d::ReduceOp(c10d::ReduceOp::PRODUCT);
  if (s == "avg") return c10d::ReduceOp(c10d::ReduceOp::AVG);
  throw std::runtime_error("unknown reduce op '" + s + "'");
}

void waitWork(const c10::intrusive_ptr<c10d::Work>& work) {
  work->wait();  // rethrows the collective's error, if any
}

// distStore(host, port, isServer, worldSize, timeoutMs) -> store. The server (rank 0, unless the
// launcher's agent hosts it) binds host:port; clients retry connecting until the timeout.
Napi::Value DistStore(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    std::string host = info[0].As<Napi::String>();
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<std::uint16_t>(info[1].As<Napi::Number>().Uint32Value());
    opts.isServer = info[2].ToBoolean().Value();
    opts.numWorkers = static_cast<std::size_t>(info[3].As<Napi::Number>().Uint32Value());
    opts.waitWorkers = false;  // the process group's rendezvous waits for everyone
    opts.timeout = Millis(info[4].As<Napi::Number>().Int64Value());
    auto* box = new StoreBox{c10::make_intrusive<c10d::TCPStore>(host, opts)};
    return Napi::External<StoreBox>::New(info.Env(), box, finalizeStore);
  });
}

// distStoreSet(store, key, value: string), distStoreGet(store, key) -> string (waits for the key)
Napi::Value DistStoreSet(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto& store = info[0].As<Napi::External<StoreBox>>().Data()->store;
    std::string value = info[2].As<Napi::String>();
    store->set(info[1].As<Napi::String>(), std::vector<uint8_t>(value.begin(), value.end()));
    return info.Env().Undefined();
  });
}

Napi::Value DistStoreGet(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto& store = info[0].As<Napi::External<StoreBox>>().Data()->store;
    auto v = store->get(info[1].As<Napi::String>());
    return Napi::String::New(info.Env(), std::string(v.begin(), v.end()));
  });
}

// distGloo(store, rank, size, timeoutMs, bindHost) -> group. bindHost '' = the default device
// (this machine's hostname, or GLOO_SOCKET_IFNAME's interface); else that address.
Napi::Value DistGloo(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto& store = info[0].As<Napi::External<StoreBox>>().Data()->store;
    int rank = info[1].As<Napi::Number>().Int32Value();
    int size = info[2].As<Napi::Number>().Int32Value();
    auto opts = c10d::ProcessGroupGloo::Options::create(Millis(info[3].As<Napi::Number>().Int64Value()));
    std::string bind = info[4].As<Napi::String>();
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname && *ifname) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (!bind.empty()) opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(bind));
    else opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    auto* box = new GroupBox{c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, opts)};
    return Napi::External<GroupBox>::New(info.Env(), box, finalizeGroup);
  });
}

// distNccl(store, rank, size, timeoutMs, deviceIndex) -> group (CUDA builds with NCCL headers only).
// The group is bound to the rank's device (what init_process_group(device_id=...) does:
// setBoundDeviceId + eagerConnectSingleDevice), so its communicator is made now, on that device,
// and rendezvous problems surface here rather than at the first all-reduce.
//
// Errors: for NCCL, work->wait() does not block the host (it makes the current stream wait), so
// a failed or timed-out collective is not seen by wait(). PyTorch's watchdog thread sees it (after
// opts->timeout for a hang) and, with TORCH_NCCL_ASYNC_ERROR_HANDLING=3 (the default since 2.x;
// src/dist/process-group.ts sets it when unset), aborts the communicators and ends the process;
// the launcher (src/dist/launch.ts) then prints its one line naming the rank.
Napi::Value DistNccl(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
#if defined(RLVR_WITH_CUDA) && defined(RLVR_WITH_NCCL)
    auto& store = info[0].As<Napi::External<StoreBox>>().Data()->store;
    int rank = info[1].As<Napi::Number>().Int32Value();
    int size = info[2].As<Napi::Number>().Int32Value();
    auto index = static_cast<c10::DeviceIndex>(info[4].As<Napi::Number>().Int32Value());
    at::Device device(at::kCUDA, index);
    c10::cuda::CUDAGuard onDevice(device);
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = Millis(info[3].As<Napi::Number>().Int64Value());
    auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, opts);
    pg->setBoundDeviceId(device);
    pg->eagerConnectSingleDevice(device);
    auto* box = new GroupBox{pg};
    return Napi::External<GroupBox>::New(info.Env(), box, finalizeGroup);
#else
#ifdef RLVR_WITHOUT_NCCL
    throw std::runtime_error("this addon was built without NCCL (RLVR_BUILD_WITHOUT_NCCL=1): use the gloo backend");
#else
    throw std::runtime_error("this build of the addon has no NCCL (built without CUDA or without nccl.h): use the gloo backend");
#endif
#endif
  });
}

// distAllReduce(group, tensor, op): in place.
Napi::Value DistAllReduce(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    std::vector<at::Tensor> ts{unwrapTensor(info[1])};
    c10d::AllreduceOptions opts;
    opts.reduceOp = reduceOpArg(info[2]);
    waitWork(groupArg(info[0]).allreduce(ts, opts));
    return info.Env().Undefined();
  });
}

// distBroadcast(group, tensor, root): in place.
Napi::Value DistBroadcast(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    std::vector<at::Tensor> ts{unwrapTensor(info[1])};
    c10d::BroadcastOptions opts;
    opts.rootRank = info[2].As<Napi::Number>().Int32Value();
    waitWork(groupArg(info[0]).broadcast(ts, opts));
    return info.Env().Undefined();
  });
}

// distAllGather(group, outputs: tensor[size], input): outputs[r] = rank r's input.
Napi::Value DistAllGather(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto arr = info[1].As<Napi::Array>();
    std::vector<std::vector<at::Tensor>> outs(1);
    for (uint32_t i = 0; i < arr.Length(); i++) outs[0].push_back(unwrapTensor(arr.Get(i)));
    std::vector<at::Tensor> ins{unwrapTensor(info[2])};
    waitWork(groupArg(info[0]).allgather(outs, ins));
    return info.Env().Undefined();
  });
}

// distAllGatherInto(group, output [size*n], input [n]): flat all-gather (ZeRO's parameter gather).
Napi::Value DistAllGatherInto(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::Tensor out = unwrapTensor(info[1]);
    at::Tensor in = unwrapTensor(info[2]);
    waitWork(groupArg(info[0])._allgather_base(out, in));
    return info.Env().Undefined();
  });
}

// distReduceScatter(group, output [n], input [size*n], op): flat reduce-scatter (ZeRO's gradients).
Napi::Value DistReduceScatter(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::Tensor out = unwrapTensor(info[1]);
    at::Tensor in = unwrapTensor(info[2]);
    c10d::ReduceScatterOptions opts;
    opts.reduceOp = reduceOpArg(info[3]);
    waitWork(groupArg(info[0])._reduce_scatter_base(out, in, opts));
    return info.Env().Undefined();
  });
}

Napi::Value DistBarrier(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    waitWork(groupArg(info[0]).barrier());
    return info.Env().Undefined();
  });
}

// distClose(group): shuts the backend down and drops it (idempotent).
Napi::Value DistClose(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto* box = info[0].As<Napi::External<GroupBox>>().Data();
    if (box->backend) {
      box->backend->shutdown();
      box->backend.reset();
    }
    return info.Env().Undefined();
  });
}

}  // namespace

void initDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distStore", Napi::Function::New(env, DistStore));
  exports.Set("distStoreSet", Napi::Function::New(env, DistStoreSet));
  exports.Set("distStoreGet", Napi::Function::New(env, DistStoreGet));
  exports.Set("distGloo", Napi::Function::New(env, DistGloo));
  exports.Set("distNccl", Napi::Function::New(env, DistNccl));
  exports.Set("distAllReduce", Napi::Function::New(env, DistAllReduce));
  exports.Set("distBroadcast", Napi::Function::New(env, DistBroadcast));
  exports.Set("distAllGather", Napi::Function::New(env, DistAllGather));
  exports.Set("distAllGatherInto", Napi::Function::New(env, DistAllGatherInto));
  exports.Set("distReduceScatter", Napi::Function::New(env, DistReduceScatter));
  exports.Set("distBarrier", Napi::Function::New(env, DistBarrier));
  exports.Set("distClose", Napi::Function::New(env, DistClose));
#if defined(RLVR_WITH_CUDA) && defined(RLVR_WITH_NCCL)
  exports.Set("hasNccl", Napi::Boolean::New(env, true));
#else
  exports.Set("hasNccl", Napi::Boolean::New(env, false));
#endif
#ifdef RLVR_WITHOUT_NCCL
  exports.Set("builtWithoutNccl", Napi::Boolean::New(env, true));
#else
  exports.Set("builtWithoutNccl", Napi::Boolean::New(env, false));
#endif
}

}  // namespace rlvr
