// opencoreml neural networks: the activation layer (13 kinds) and the stand-alone activation
// layers of spec 4+ (gelu, clampedReLU). Each maps to the MIL activation of the same formula;
// PReLU and parametric softplus have per-channel constants along axis -3, so their input is
// viewed as [N, C, H, W] for MIL's axis-1 channel ops.
#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;

// A per-channel constant of length C or 1.
Var channel_param(LayerContext& ctx, const spec::WeightParams& w, const std::string& what, int64_t channels) {
    const int64_t stored = w.floatvalue_size() > 0 ? w.floatvalue_size()
                           : !w.float16value().empty() ? static_cast<int64_t>(w.float16value().size() / 2)
                                                       : channels;
    if (stored != 1 && channels >= 0 && stored != channels)
        ctx.fail(what + " has " + std::to_string(stored) + " values for " + std::to_string(channels) + " channels");
    return ctx.weight_const(w, {stored}, what);
}

Var per_channel(LayerContext& ctx, const std::string& type, std::vector<Arg> params) {
    const Var& x = ctx.in();
    if (x.rank() < 3) ctx.fail("needs an input of rank 3 or more ([.., C, H, W]), got rank " + std::to_string(x.rank()));
    const Var y = same_shape(ctx, type, to_nchw(ctx, x), std::move(params));
    return from_nchw(ctx, y, x);
}

Var activation(LayerContext& ctx, const spec::ActivationParams& a, const Var& x) {
    MilWriter& w = ctx.writer();
    switch (a.NonlinearityType_case()) {
        case spec::ActivationParams::kLinear:
            return same_shape(ctx, "linear_activation", x,
                              {{"alpha", w.float_scalar(a.linear().alpha())}, {"beta", w.float_scalar(a.linear().beta())}});
        case spec::ActivationParams::kReLU: return same_shape(ctx, "relu", x);
        case spec::ActivationParams::kLeakyReLU:
            return same_shape(ctx, "leaky_relu", x, {{"alpha", w.float_scalar(a.leakyrelu().alpha())}});
        case spec::ActivationParams::kThresholdedReLU:
            return same_shape(ctx, "thresholded_relu", x, {{"alpha", w.float_scalar(a.thresholdedrelu().alpha())}});
        case spec::ActivationParams::kPReLU: {
            const Var alpha = channel_param(ctx, a.prelu().alpha(), "PReLU alpha", x.dim(-3));
            return per_channel(ctx, "prelu", {{"alpha", alpha}});
        }
        case spec::ActivationParams::kTanh: return same_shape(ctx, "tanh", x);
        case spec::ActivationParams::kScaledTanh:
            return same_shape(ctx, "scaled_tanh", x,
                              {{"alpha", w.float_scalar(a.scaledtanh().alpha())}, {"beta", w.float_scalar(a.scaledtanh().beta())}});
        case spec::ActivationParams::kSigmoid: return same_shape(ctx, "sigmoid", x);
        case spec::ActivationParams::kSigmoidHard:
            return same_shape(ctx, "sigmoid_hard", x,
                              {{"alpha", w.float_scalar(a.sigmoidhard().alpha())}, {"beta", w.float_scalar(a.sigmoidhard().beta())}});
        case spec::ActivationParams::kELU: return same_shape(ctx, "elu", x, {{"alpha", w.float_scalar(a.elu().alpha())}});
        case spec::ActivationParams::kSoftsign: return same_shape(ctx, "softsign", x);
        case spec::ActivationParams::kSoftplus: return same_shape(ctx, "softplus", x);
        case spec::ActivationParams::kParametricSoftplus: {
            const auto& p = a.parametricsoftplus();
            const Var alpha = channel_param(ctx, p.alpha(), "parametric softplus alpha", x.dim(-3));
            const Var beta = channel_param(ctx, p.beta(), "parametric softplus beta", x.dim(-3));
            return per_channel(ctx, "softplus_parametric", {{"alpha", alpha}, {"beta", beta}});
        }
        default: ctx.fail("has no activation function set");
    }
}

void translate_activation(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    ctx.set_out(0, activation(ctx, ctx.layer().activation(), ctx.in()));
}

void translate_gelu(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    static const char* modes[] = {"EXACT", "TANH_APPROXIMATION", "SIGMOID_APPROXIMATION"};
    const int mode = ctx.layer().gelu().mode();
    if (mode < 0 || mode > 2) ctx.fail("unknown GELU mode " + std::to_string(mode));
    ctx.set_out(0, same_shape(ctx, "gelu", ctx.in(), {{"mode", ctx.writer().string(modes[mode])}}));
}

void translate_clamped_relu(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().clampedrelu();
    MilWriter& w = ctx.writer();
    ctx.set_out(0, same_shape(ctx, "clamped_relu", ctx.in(), {{"alpha", w.float_scalar(p.alpha())}, {"beta", w.float_scalar(p.beta())}}));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kActivation, translate_activation)
OCML_REGISTER_NN_LAYER(kGelu, translate_gelu)
OCML_REGISTER_NN_LAYER(kClampedReLU, translate_clamped_relu)

}  // namespace opencoreml::nn
