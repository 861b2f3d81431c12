// CUDA graph capture and replay (at::cuda::CUDAGraph). Compiled with RLVR_WITH_CUDA only when
// the libtorch found at build time has CUDA; otherwise the functions report that clearly.
//
// What a capture does here, after torch.cuda.graph (torch/cuda/graphs.py, `graph.__enter__`):
//   - everything runs on the graph's own device (a CUDAGuard sets it for the call), and the side
//     stream comes from that device's pool: on rank >= 1 of a data-parallel run a device-0 stream
//     would capture nothing (PyTorch only warns) and every replay would do nothing;
//   - the side stream waits on the device's current stream before capture (an event), so the
//     generator's seed/offset prologue cannot race with work still queued there;
//   - the stream switch is undone by RAII in every native call that can fail: a capture_begin that
//     throws, and capture_end, whether it succeeds or throws;
//   - a graph with no node is an error (PyTorch only warns): it would replay as a no-op.
#include "common.h"

#include <torch/version.h>

#ifdef RLVR_WITH_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/core/Event.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#include <memory>
#endif

namespace rlvr {
namespace {

#ifdef RLVR_WITH_CUDA
// A graph captures on a side stream of its device (capture on the legacy default stream is not
// allowed); the stream lives as long as the graph. keep_graph=true keeps the captured cudaGraph_t
// after capture_end so that its nodes can be counted before instantiate().
struct GraphBox {
  c10::DeviceIndex device;
  std::unique_ptr<at::cuda::CUDAGraph> graph;
  std::optional<c10::cuda::CUDAStream> stream;
  // The current stream of `device` while capturing; restored by capture_end (and on failure).
  std::optional<c10::cuda::CUDAStreamGuard> streamGuard;
};

void finalizeGraph(Napi::Env, GraphBox* g) { delete g; }

GraphBox& boxArg(const Napi::Value& v) { return *v.As<Napi::External<GraphBox>>().Data(); }

// graphNew(deviceIndex) -> graph
Napi::Value GraphNew(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto device = static_cast<c10::DeviceIndex>(info[0].As<Napi::Number>().Int32Value());
    TORCH_CHECK(device >= 0 && device < c10::cuda::device_count(), "CUDA graph: no CUDA device ", static_cast<int>(device));
    c10::cuda::CUDAGuard onDevice(device);
    auto* box = new GraphBox{device, std::make_unique<at::cuda::CUDAGraph>(/*keep_graph=*/true), std::nullopt, std::nullopt};
    return Napi::External<GraphBox>::New(info.Env(), box, finalizeGraph);
  });
}

Napi::Value GraphCaptureBegin(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto& box = boxArg(info[0]);
    TORCH_CHECK(!box.streamGuard.has_value(), "CUDA graph: capture already begun");
    {
      c10::cuda::CUDAGuard onDevice(box.device);
      // torch.cuda.graph synchronises the device before capture; then the side stream also waits
      // on the current stream (an event), as a stream context would.
      c10::cuda::device_synchronize();
      auto current = c10::cuda::getCurrentCUDAStream(box.device);
      box.stream = c10::cuda::getStreamFromPool(/*isHighPriority=*/false, box.device);
      c10::Event ready(c10::DeviceType::CUDA);
      ready.record(current.unwrap());
      ready.block(box.stream->unwrap());
    }
    // Current device AND stream become the graph's until capture_end restores both (the guard
    // remembers the device that was current here, so the process's device is unchanged after).
    box.streamGuard.emplace(*box.stream);
    try {
      box.graph->capture_begin();
    } catch (...) {
      box.streamGuard.reset();  // back on the previous stream before the error leaves
      throw;
    }
    return info.Env().Undefined();
  });
}

// graphCaptureEnd(graph): ends capture, restores the previous stream on every path, refuses an
// empty graph, instantiates it.
Napi::Value GraphCaptureEnd(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto& box = boxArg(info[0]);
    TORCH_CHECK(box.streamGuard.has_value(), "CUDA graph: capture_end without capture_begin");
    // The stream guard has the graph's device current; no device guard here (its destructor
    // would run after the stream guard's reset and leave the graph's device current).
    struct Restore {
      GraphBox& b;
      ~Restore() { b.streamGuard.reset(); }
    } restore{box};
    box.graph->capture_end();
    size_t nodes = 0;
    C10_CUDA_CHECK(cudaGraphGetNodes(box.graph->raw_cuda_graph(), nullptr, &nodes));
    if (nodes == 0) {
      box.graph->reset();
      TORCH_CHECK(false, "CUDA graph: the captured graph is empty (the work ran on another device's stream than cuda:",
                  static_cast<int>(box.device), "; set the rank's device first)");
    }
    box.graph->instantiate();
    return info.Env().Undefined();
  });
}

// Registers a (CUDA) generator with the graph before capture: replays then draw fresh random
// numbers from it (its offset advances per replay) instead of repeating the captured ones.
// torch < 2.14: CUDAGraph::register_generator_state(const at::Generator&). torch >= 2.14 removed
// that overload: an RNG op during capture registers its generator's state with the capturing graph
// itself (ATen/cuda/CUDAGeneratorImpl.cpp, Note [Lazy Registration of Generators to the CUDA
// Graph]), so only the generator's kind and device are checked here.
Napi::Value GraphRegisterGenerator(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto& box = boxArg(info[0]);
    auto* gen = info[1].As<Napi::External<at::Generator>>().Data();
    TORCH_CHECK(gen->device().is_cuda(), "CUDA graph: the generator is on ", gen->device().str(), ", not CUDA");
    TORCH_CHECK(gen->device().index() == box.device, "CUDA graph: the generator is on ", gen->device().str(),
                ", the graph on cuda:", static_cast<int>(box.device));
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 14)
    box.graph->register_generator_state(*gen);
#endif
    return info.Env().Undefined();
  });
}

Napi::Value GraphReplay(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto& box = boxArg(info[0]);
    c10::cuda::CUDAGuard onDevice(box.device);
    box.graph->replay();
    return info.Env().Undefined();
  });
}

Napi::Value GraphReset(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto& box = boxArg(info[0]);
    box.streamGuard.reset();  // an abandoned capture: back to the previous device and stream first
    c10::cuda::CUDAGuard onDevice(box.device);
    box.graph->reset();
    return info.Env().Undefined();
  });
}
#else
Napi::Value NoCuda(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(),
#ifdef RLVR_WITHOUT_CUDA_GRAPHS
                         "CUDA graphs: this addon was built without them (RLVR_BUILD_WITHOUT_CUDA_GRAPHS=1)"
#else
                         "CUDA graphs need a libtorch built with CUDA; this addon was built against a CPU-only libtorch"
#endif
  );
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
  // Set when the build was told to leave CUDA graphs out of a CUDA build (loading says so).
#ifdef RLVR_WITHOUT_CUDA_GRAPHS
  exports.Set("builtWithoutCudaGraphs", Napi::Boolean::New(env, true));
#else
  exports.Set("builtWithoutCudaGraphs", Napi::Boolean::New(env, false));
#endif
}

}  // namespace rlvr
