// See ../README.md: only what c10d/ProcessGroupGloo.hpp names: a pointer type, and setTimeout,
// which its inline setTimeout() calls (declared, not defined: nothing here calls it).
#pragma once
#include <chrono>
namespace gloo {
class Context {
 public:
  void setTimeout(std::chrono::milliseconds timeout);
};
}  // namespace gloo
