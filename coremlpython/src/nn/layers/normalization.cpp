// opencoreml neural networks: normalisation layers — batchnorm (given statistics, or computed
// per instance or over the batch), mvn, l2normalize, lrn, layerNormalization, softmax (over
// axis -3) and softmaxND. The channel-wise ones see their input as [N, C, H, W].
#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;

// (x - mean) / sqrt(var + epsilon) over `axes` (kept), var the biased variance.
Var standardize(LayerContext& ctx, const Var& x, const std::vector<int64_t>& axes, float epsilon) {
    const Var centered = binary(ctx, "sub", x, reduce(ctx, "reduce_mean", x, axes));
    const Var var = reduce(ctx, "reduce_mean", same_shape(ctx, "square", centered), axes);
    const Var inv = same_shape(ctx, "rsqrt", var, {{"epsilon", ctx.writer().float_scalar(epsilon)}});
    return binary(ctx, "mul", centered, inv);
}

void translate_batchnorm(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().batchnorm();
    const Var& x = ctx.in();
    if (x.rank() < 3) ctx.fail("needs an input of rank 3 or more ([.., C, H, W]), got rank " + std::to_string(x.rank()));
    const int64_t c = static_cast<int64_t>(p.channels());
    const float epsilon = p.epsilon() == 0.0f ? 1e-5f : p.epsilon();
    MilWriter& w = ctx.writer();
    const Var gamma = ctx.weight_const(p.gamma(), {c}, "gamma"), beta = ctx.weight_const(p.beta(), {c}, "beta");
    const Var x4 = to_nchw(ctx, x);
    Var y;
    if (!p.computemeanvar()) {
        y = same_shape(ctx, "batch_norm", x4,
                       {{"mean", ctx.weight_const(p.mean(), {c}, "mean")},
                        {"variance", ctx.weight_const(p.variance(), {c}, "variance")},
                        {"gamma", gamma}, {"beta", beta}, {"epsilon", w.float_scalar(epsilon)}});
    } else if (p.instancenormalization()) {
        y = same_shape(ctx, "instance_norm", x4, {{"gamma", gamma}, {"beta", beta}, {"epsilon", w.float_scalar(epsilon)}});
    } else {
        const Var normed = standardize(ctx, x4, {0, 2, 3}, epsilon);
        const Var g = w.constant(ctx.weights(p.gamma(), {c, 1, 1}, "gamma"));
        const Var b = w.constant(ctx.weights(p.beta(), {c, 1, 1}, "beta"));
        y = binary(ctx, "add", binary(ctx, "mul", normed, g), b);
    }
    ctx.set_out(0, from_nchw(ctx, y, x));
}

void translate_mvn(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().mvn();
    const Var& x = ctx.in();
    const std::vector<int64_t> axes = p.acrosschannels() ? std::vector<int64_t>{-3, -2, -1} : std::vector<int64_t>{-2, -1};
    if (x.rank() < static_cast<int64_t>(axes.size()))
        ctx.fail("needs an input of rank " + std::to_string(axes.size()) + " or more, got rank " + std::to_string(x.rank()));
    const float epsilon = p.epsilon() == 0.0f ? 1e-6f : p.epsilon();
    if (p.normalizevariance())
        ctx.set_out(0, same_shape(ctx, "layer_norm", x, {{"axes", ctx.writer().ints(axes)}, {"epsilon", ctx.writer().float_scalar(epsilon)}}));
    else
        ctx.set_out(0, binary(ctx, "sub", x, reduce(ctx, "reduce_mean", x, axes)));
}

void translate_l2_normalize(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    if (x.rank() < 3) ctx.fail("needs an input of rank 3 or more, got rank " + std::to_string(x.rank()));
    const float epsilon = ctx.layer().l2normalize().epsilon() == 0.0f ? 1e-6f : ctx.layer().l2normalize().epsilon();
    ctx.set_out(0, same_shape(ctx, "l2_norm", x, {{"epsilon", ctx.writer().float_scalar(epsilon)}}));
}

void translate_lrn(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().lrn();
    const Var& x = ctx.in();
    if (x.rank() < 3) ctx.fail("needs an input of rank 3 or more, got rank " + std::to_string(x.rank()));
    MilWriter& w = ctx.writer();
    ctx.set_out(0, same_shape(ctx, "local_response_norm", x,
                              {{"size", w.int_scalar(static_cast<int64_t>(p.localsize()))},
                               {"alpha", w.float_scalar(p.alpha())},
                               {"beta", w.float_scalar(p.beta())},
                               {"k", w.float_scalar(p.k() == 0.0f ? 1.0f : p.k())}}));
}

void translate_layer_norm(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().layernormalization();
    const Var& x = ctx.in();
    const Shape norm_shape(p.normalizedshape().begin(), p.normalizedshape().end());
    const int64_t n = static_cast<int64_t>(norm_shape.size());
    if (n == 0 || n > x.rank()) ctx.fail("normalizedShape " + shape_to_string(norm_shape) + " does not fit an input of rank " + std::to_string(x.rank()));
    std::vector<int64_t> axes;
    for (int64_t i = -n; i < 0; ++i) axes.push_back(i);
    MilWriter& w = ctx.writer();
    ctx.set_out(0, same_shape(ctx, "layer_norm", x,
                              {{"axes", w.ints(axes)},
                               {"gamma", ctx.weight_const(p.gamma(), norm_shape, "gamma")},
                               {"beta", ctx.weight_const(p.beta(), norm_shape, "beta")},
                               {"epsilon", w.float_scalar(p.eps())}}));
}

void translate_softmax(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    if (x.rank() < 3) ctx.fail("needs an input of rank 3 or more (softmax runs over axis -3), got rank " + std::to_string(x.rank()));
    ctx.set_out(0, same_shape(ctx, "softmax", x, {{"axis", ctx.writer().int_scalar(-3)}}));
}

void translate_softmax_nd(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    const int64_t axis = normalize_axis(ctx, ctx.layer().softmaxnd().axis(), x.rank());
    ctx.set_out(0, same_shape(ctx, "softmax", x, {{"axis", ctx.writer().int_scalar(axis)}}));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kBatchnorm, translate_batchnorm)
OCML_REGISTER_NN_LAYER(kMvn, translate_mvn)
OCML_REGISTER_NN_LAYER(kL2Normalize, translate_l2_normalize)
OCML_REGISTER_NN_LAYER(kLrn, translate_lrn)
OCML_REGISTER_NN_LAYER(kLayerNormalization, translate_layer_norm)
OCML_REGISTER_NN_LAYER(kSoftmax, translate_softmax)
OCML_REGISTER_NN_LAYER(kSoftmaxND, translate_softmax_nd)

}  // namespace opencoreml::nn
