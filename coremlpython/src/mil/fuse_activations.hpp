// opencoreml ML programs: the plan-time fusion pass. A conv, linear or matmul whose only
// consumer is a relu, relu6 or clip with constant bounds takes that clamp into its own output
// loop (kernels deriving from ClampFusable), and the activation node disappears from the plan.
#pragma once

#include "mil/program.hpp"

namespace opencoreml::mil {

// Rewrites `fn`'s blocks in place; run after loading and before liveness analysis.
void fuse_activations(LoadedFunction& fn);

}  // namespace opencoreml::mil
