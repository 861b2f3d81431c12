// CUDA graph capture and replay (at::cuda::CUDAGraph). Compiled with RLVR_WITH_CUDA only when
// the libtorch found at build time has CUDA; otherwise the functions report that clearly.
#include "common.h"

#ifdef RLVR_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <memory>
#endif

namespace rlvr {
namespace {

#ifdef RLVR_WITH_CUDA
// A graph captures on a side stream (capture on the legacy default stream is not allowed);
// the stream lives as long as the graph.
struct GraphBox {
  std::unique_ptr<at::cuda::CUDAGraph> graph;
  std::optional<c10::cuda::CUDAStream> stream;
  std::optional<c10::cuda::CUDAStreamGuard> guard;
};

void finalizeGraph(Napi::Env, GraphBox* g) { delete g; }

Napi::Value GraphNew(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto* box = new GraphBox{std::make_unique<at::cuda::CUDAGraph>(), std::nullopt, std::nullopt};
    return Napi::External<GraphBox>::New(info.Env(), box, finalizeGraph);
  });
}

Napi::Value GraphCaptureBegin(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto* box = info[0].As<Napi::External<GraphBox>>().Data();
    box->stream = c10::cuda::getStreamFromPool();
    box->guard.emplace(*box->stream);
    box->graph->capture_begin();
    return info.Env().Undefined();
  });
}

Napi::Value GraphCaptureEnd(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto* box = info[0].As<Napi::External<GraphBox>>().Data();
    box->graph->capture_end();
    box->guard.reset();
    return info.Env().Undefined();
  });
}

// Registers a (CUDA) generator with the graph before capture: replays then draw fresh random
// numbers from it (its offset advances per replay) instead of repeating the captured ones.
Napi::Value GraphRegisterGenerator(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto* box = info[0].As<Napi::External<GraphBox>>().Data();
    auto* gen = info[1].As<Napi::External<at::Generator>>().Data();
    box->graph->register_generator_state(*gen);
    return info.Env().Undefined();
  });
}

Napi::Value GraphReplay(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    info[0].As<Napi::External<GraphBox>>().Data()->graph->replay();
    return info.Env().Undefined();
  });
}

Napi::Value GraphReset(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    info[0].As<Napi::External<GraphBox>>().Data()->graph->reset();
    return info.Env().Undefined();
  });
}
#else
Napi::Value NoCuda(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(),
                         "CUDA graphs need a libtorch built with CUDA; this addon was built against a CPU-only libtorch");
}
#endif

}  // namespace

void initCudaGraph(Napi::Env env, Napi::Object exports) {
#ifdef RLVR_WITH_CUDA
  exports.Set("graphNew", Napi::Function::New(env, GraphNew));
  exports.Set("graphCaptureBegin", Napi::Function::New(env, GraphCaptureBegin));
  exports.Set("graphCaptureEnd", Napi::Function::New(env, GraphCaptureEnd));
  exports.Set("graphRegisterGenerator", Napi::Function::New(env, GraphRegisterGenerator));
  exports.Set("graphReplay", Napi::Function::New(env, GraphReplay));
  exports.Set("graphReset", Napi::Function::New(env, GraphReset));
  exports.Set("hasCudaGraphs", Napi::Boolean::New(env, true));
#else
  for (const char* name : {"graphNew", "graphCaptureBegin", "graphCaptureEnd", "graphRegisterGenerator", "graphReplay", "graphReset"})
    exports.Set(name, Napi::Function::New(env, NoCuda));
  exports.Set("hasCudaGraphs", Napi::Boolean::New(env, false));
#endif
}

}  // namespace rlvr
