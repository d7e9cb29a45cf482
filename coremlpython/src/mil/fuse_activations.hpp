// opencoreml ML programs: the plan-time fusion pass. A conv whose only consumer is a
// batch_norm takes the normalisation into its weights and bias (ChannelAffineFusable), and a
// conv, linear or matmul whose only consumer is a relu, relu6 or clip with constant bounds
// takes that clamp into its own output loop (ClampFusable); the folded node disappears from
// the plan. Both apply in a chain (conv -> batch_norm -> relu6 becomes one conv).
#pragma once

#include "mil/program.hpp"

namespace opencoreml::mil {

// Rewrites `fn`'s blocks in place; run after loading and before liveness analysis.
void fuse_activations(LoadedFunction& fn);

}  // namespace opencoreml::mil
