// opencoreml ML programs: the plan-time fusion pass. A conv whose only consumer is a
// batch_norm takes the normalisation into its weights and bias (ChannelAffineFusable); a conv
// whose only consumer adds a float32 tensor of the same shape that already exists (a residual
// connection) adds it in its output loop (ResidualFusable); and a conv, linear, matmul or
// float arithmetic op (add, sub, mul, ...) whose only consumer is a relu, relu6 or clip with
// constant bounds takes that clamp into its own output loop (ClampFusable). The folded node disappears from the plan. They apply in a chain
// (conv -> batch_norm -> add -> relu becomes one conv).
#pragma once

#include "mil/program.hpp"

namespace opencoreml::mil {

// Rewrites `fn`'s blocks in place; run after loading and before liveness analysis.
void fuse_activations(LoadedFunction& fn);

}  // namespace opencoreml::mil
