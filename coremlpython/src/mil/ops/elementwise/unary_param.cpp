// opencoreml ML program ops: elementwise ops with constant parameters — clip, inverse, log,
// rsqrt, threshold — and logical_not. The iOS17 revisions of clip/inverse/log/rsqrt only let
// the parameters have their own float type (read here as float whatever their type) and
// make clip insist on alpha < beta.
#include <cmath>
#include <cstdint>

#include "opencoreml/blob_codec.hpp"
#include "kernels/vec_math.hpp"
#include "mil/ops/elementwise/float_map.hpp"

namespace opencoreml::mil {
namespace {

struct Clip {
    float lo, hi;
    // Written as two compares so NaN passes through (numpy's minimum/maximum propagate it).
    float operator()(float x) const {
        const float y = x < lo ? lo : x;
        return y > hi ? hi : y;
    }
};
struct Threshold {
    float alpha;
    float operator()(float x) const { return x < alpha ? alpha : x; }
};
struct ThresholdInt {
    int32_t alpha;
    int32_t operator()(int32_t x) const { return x < alpha ? alpha : x; }
};
struct Inverse {
    float eps;
    float operator()(float x) const { return 1.0f / (x + eps); }
};
struct Log {
    float eps;
    // Vectorised (kernels/vec_math, within 1.5 ulp); x + eps rounds to float first as before.
    void array(const float* x, float* y, int64_t n) const {
        for (int64_t i = 0; i < n; ++i) y[i] = x[i] + eps;
        kernels::vm::log(y, y, n);
    }
};
struct Rsqrt {
    float eps;
    float operator()(float x) const { return 1.0f / std::sqrt(x + eps); }
};

// An optional epsilon; its default is a value of x's type, so for fp16 programs the tiny
// defaults of log (1e-45) and rsqrt (1e-12) are 0, as the op definitions make them.
float epsilon(const BuildContext& ctx, double fallback) {
    if (ctx.has_input("epsilon")) return static_cast<float>(ctx.const_float("epsilon"));
    if (ctx.has_input("x") && ctx.input("x").dtype == DType::Float16)
        return blob::fp16_to_fp32(blob::fp32_to_fp16(static_cast<float>(fallback)));
    return static_cast<float>(fallback);
}

std::unique_ptr<Kernel> make_clip(const BuildContext& ctx) {
    const float lo = static_cast<float>(ctx.const_float("alpha"));
    const float hi = static_cast<float>(ctx.const_float("beta"));
    if (ctx.opset() >= kIOS17 && !(lo < hi))
        ctx.fail("alpha (" + std::to_string(lo) + ") must be smaller than beta (" + std::to_string(hi) + ")");
    return make_unary(ctx, Clip{lo, hi}, Cost::Cheap);
}

std::unique_ptr<Kernel> make_threshold(const BuildContext& ctx) {
    const double alpha = ctx.const_float("alpha");
    return make_unary(ctx, Threshold{static_cast<float>(alpha)}, ThresholdInt{static_cast<int32_t>(alpha)}, Cost::Cheap);
}

std::unique_ptr<Kernel> make_inverse(const BuildContext& ctx) {
    return make_unary(ctx, Inverse{epsilon(ctx, 1e-4)}, Cost::Cheap);
}
std::unique_ptr<Kernel> make_log(const BuildContext& ctx) {
    return make_unary(ctx, Log{epsilon(ctx, 1e-45)}, Cost::Vectorized);
}
std::unique_ptr<Kernel> make_rsqrt(const BuildContext& ctx) {
    return make_unary(ctx, Rsqrt{epsilon(ctx, 1e-12)}, Cost::Cheap);
}

// Bools are one byte each; any non-zero byte counts as true.
std::unique_ptr<Kernel> make_logical_not(const BuildContext& ctx) {
    if (ctx.input("x").dtype != DType::Bool)
        ctx.fail(std::string("input 'x' has type ") + dtype_name(ctx.input("x").dtype) + "; expected bool");
    return make_kernel([](RunContext& run) {
        const Tensor& x = run.input("x");
        if (x.dtype() != DType::Bool) run.fail(std::string("input 'x' must be bool, got ") + dtype_name(x.dtype()));
        Tensor& out = run.allocate_output(0, DType::Bool, x.shape());
        const uint8_t* src = static_cast<const uint8_t*>(x.raw());
        uint8_t* dst = static_cast<uint8_t*>(out.raw());
        for (int64_t i = 0, n = x.numel(); i < n; ++i) dst[i] = src[i] == 0;
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("clip", kIOS15, make_clip)
OCML_REGISTER_MIL_OP("threshold", kIOS15, make_threshold)
OCML_REGISTER_MIL_OP("inverse", kIOS15, make_inverse)
OCML_REGISTER_MIL_OP("log", kIOS15, make_log)
OCML_REGISTER_MIL_OP("rsqrt", kIOS15, make_rsqrt)
OCML_REGISTER_MIL_OP("logical_not", kIOS15, make_logical_not)

}  // namespace opencoreml::mil
