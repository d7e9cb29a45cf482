// opencoreml ML program ops: elementwise activations (fp16/fp32) — relu, relu6, sigmoid,
// silu, softplus, softsign, gelu (EXACT / TANH_APPROXIMATION / SIGMOID_APPROXIMATION) and
// those with scalar constants: clamped_relu, elu, leaky_relu, linear_activation,
// scaled_tanh, sigmoid_hard, thresholded_relu. The iOS17 revisions only let alpha/beta have
// their own float type, which reading them as float covers. prelu and softplus_parametric
// (per-channel constants) are in channel_activations.cpp. The transcendental ones map whole
// runs through kernels/vec_math (vectorised, within a few ulp of float32; see its header).
#include <cmath>

#include "kernels/vec_math.hpp"
#include "mil/ops/elementwise/float_map.hpp"

namespace opencoreml::mil {
namespace {

// NaN-propagating like numpy's maximum/minimum (the ops' reference semantics).
struct Relu {
    float operator()(float x) const { return x < 0.0f ? 0.0f : x; }
};
struct Relu6 {
    float operator()(float x) const { return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x); }
};
namespace vm = kernels::vm;

using Sigmoid = ArrayFn<vm::sigmoid>;
using Silu = ArrayFn<vm::silu>;
using Softplus = ArrayFn<vm::softplus>;
struct Softsign {
    float operator()(float x) const { return x / (1.0f + std::fabs(x)); }
};

using GeluExact = ArrayFn<vm::gelu_erf>;
using GeluTanh = ArrayFn<vm::gelu_tanh>;
using GeluSigmoid = ArrayFn<vm::gelu_sigmoid>;

struct ClampedRelu {
    float alpha, beta;
    float operator()(float x) const {
        const float y = x >= 0.0f ? x : alpha * x;
        return y > beta ? beta : y;
    }
};
struct Elu {
    float alpha;
    void array(const float* x, float* y, int64_t n) const { vm::elu(x, y, n, alpha); }
};
struct LeakyRelu {
    float alpha;
    float operator()(float x) const { return x >= 0.0f ? x : alpha * x; }
};
struct LinearActivation {
    float alpha, beta;
    float operator()(float x) const { return alpha * x + beta; }
};
struct ScaledTanh {
    float alpha, beta;
    void array(const float* x, float* y, int64_t n) const { vm::scaled_tanh(x, y, n, alpha, beta); }
};
struct SigmoidHard {
    float alpha, beta;
    float operator()(float x) const {
        const float y = alpha * x + beta;
        return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    }
};
struct ThresholdedRelu {
    float alpha;
    float operator()(float x) const { return x >= alpha ? x : 0.0f; }
};

float param(const BuildContext& ctx, const char* name) { return static_cast<float>(ctx.const_float(name)); }

template <class Fn>
constexpr auto plain = &unary_kernel<Fn, Cost::Vectorized>;
template <class Fn>
constexpr auto cheap = &unary_kernel<Fn, Cost::Cheap>;
template <class Fn>
std::unique_ptr<Kernel> with_alpha(const BuildContext& ctx) {
    return make_unary(ctx, Fn{param(ctx, "alpha")}, Cost::Cheap);
}
template <class Fn>
std::unique_ptr<Kernel> with_alpha_beta(const BuildContext& ctx) {
    return make_unary(ctx, Fn{param(ctx, "alpha"), param(ctx, "beta")}, Cost::Cheap);
}

std::unique_ptr<Kernel> make_gelu(const BuildContext& ctx) {
    const std::string mode = ctx.const_string("mode", "EXACT");
    if (mode == "EXACT") return plain<GeluExact>(ctx);
    if (mode == "TANH_APPROXIMATION") return plain<GeluTanh>(ctx);
    if (mode == "SIGMOID_APPROXIMATION") return plain<GeluSigmoid>(ctx);
    ctx.fail("unknown mode '" + mode + "' (expected EXACT, TANH_APPROXIMATION or SIGMOID_APPROXIMATION)");
}

}  // namespace

OCML_REGISTER_MIL_OP("relu", kIOS15, cheap<Relu>)
OCML_REGISTER_MIL_OP("relu6", kIOS15, cheap<Relu6>)
OCML_REGISTER_MIL_OP("sigmoid", kIOS15, plain<Sigmoid>)
OCML_REGISTER_MIL_OP("silu", kIOS15, plain<Silu>)
OCML_REGISTER_MIL_OP("softplus", kIOS15, plain<Softplus>)
OCML_REGISTER_MIL_OP("softsign", kIOS15, cheap<Softsign>)
OCML_REGISTER_MIL_OP("gelu", kIOS15, make_gelu)
OCML_REGISTER_MIL_OP("clamped_relu", kIOS15, with_alpha_beta<ClampedRelu>)
OCML_REGISTER_MIL_OP("elu", kIOS15, with_alpha<Elu>)
OCML_REGISTER_MIL_OP("leaky_relu", kIOS15, with_alpha<LeakyRelu>)
OCML_REGISTER_MIL_OP("linear_activation", kIOS15, with_alpha_beta<LinearActivation>)
OCML_REGISTER_MIL_OP("scaled_tanh", kIOS15, with_alpha_beta<ScaledTanh>)
OCML_REGISTER_MIL_OP("sigmoid_hard", kIOS15, with_alpha_beta<SigmoidHard>)
OCML_REGISTER_MIL_OP("thresholded_relu", kIOS15, with_alpha<ThresholdedRelu>)

}  // namespace opencoreml::mil
