// See ../README.md: only what c10d/ProcessGroupGloo.hpp names.
#pragma once
