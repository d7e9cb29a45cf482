// opencoreml ML program ops: the activation a producer op (conv, linear, matmul) can apply to
// its float32 result while it is still in cache, so the engine may fuse a following relu,
// relu6 or clip into it. Kernels that support it also derive from ClampFusable; the engine
// calls fuse_clamp() at plan time, before the first run (kernels stay immutable after).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace opencoreml::mil {

struct Epilogue {
    float lo = -std::numeric_limits<float>::infinity();
    float hi = std::numeric_limits<float>::infinity();

    bool active() const { return lo > -std::numeric_limits<float>::infinity() || hi < std::numeric_limits<float>::infinity(); }
    void apply(float* data, int64_t n) const {
        if (!active()) return;
        const float l = lo, h = hi;
        for (int64_t i = 0; i < n; ++i) data[i] = std::min(std::max(data[i], l), h);
    }
};

class ClampFusable {
public:
    virtual ~ClampFusable() = default;
    // Clamp the op's result to [lo, hi] (relu: [0, inf), relu6: [0, 6]); false if unsupported.
    virtual bool fuse_clamp(float lo, float hi) = 0;
};

// An op whose whole effect is y[:, c, ...] = x[:, c, ...] * scale[c] + shift[c] with
// constants known at load (batch_norm), which the engine may fold into the op producing x.
class ChannelAffine {
public:
    virtual ~ChannelAffine() = default;
    virtual void channel_affine(std::vector<float>& scale, std::vector<float>& shift) const = 0;
};

// A producer (conv) that can absorb such a per-output-channel affine into its constant weights
// and bias; false when it cannot (non-constant weights, a clamp already fused, a size mismatch).
class ChannelAffineFusable {
public:
    virtual ~ChannelAffineFusable() = default;
    virtual bool fuse_channel_affine(const std::vector<float>& scale, const std::vector<float>& shift) = 0;
};

// A producer (conv) that can add a following `add`'s other operand, a tensor of its own
// output's shape and dtype (a residual connection), to its result before its clamp. When it
// accepts, the engine binds that operand to the producer's input "residual".
class ResidualFusable {
public:
    virtual ~ResidualFusable() = default;
    virtual bool fuse_residual() = 0;
};

}  // namespace opencoreml::mil
