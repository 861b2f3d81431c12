// Module entry: registers the addon's functions. See common.h for what belongs here.
#include "common.h"

#include <torch/version.h>

namespace rlvr {
void initCudaGraph(Napi::Env env, Napi::Object exports);
void initPrecision(Napi::Env env, Napi::Object exports);
void initDistributed(Napi::Env env, Napi::Object exports);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  rlvr::initDispatch(env, exports);
  rlvr::initTensorIO(env, exports);
  rlvr::initAutograd(env, exports);
  rlvr::initDevice(env, exports);
  rlvr::initCudaGraph(env, exports);
  rlvr::initPrecision(env, exports);
  rlvr::initDistributed(env, exports);
  exports.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
  return exports;
}

NODE_API_MODULE(rlvr_native, Init)
