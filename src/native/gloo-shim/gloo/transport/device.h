// See ../../README.md: only what c10d/ProcessGroupGloo.hpp names (through shared_ptr / unique_ptr).
#pragma once
namespace gloo {
namespace transport {
class Device;
class UnboundBuffer;
}  // namespace transport
}  // namespace gloo
