// opencoreml neural networks: 3-D layers on [Batch, C, D, H, W] blobs — convolution3d (and its
// deconvolution), pooling3d and globalPooling3d — as MIL conv / conv_transpose / max_pool /
// avg_pool with three spatial dims (custom padding: front, back, top, bottom, left, right) and
// reductions over D, H, W.
#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;

void require_rank5(const LayerContext& ctx, const Var& x) {
    if (x.rank() != 5) ctx.fail("needs a rank-5 input [Batch, C, D, H, W], got " + shape_to_string(x.shape));
}

int64_t at_least_1(int32_t v) { return v > 0 ? v : 1; }

// pad_type and pad of a 3-D layer; `type` uses each message's own CUSTOM = 0, VALID = 1, SAME = 2.
template <class P>
void padding_3d(LayerContext& ctx, int type, const P& p, std::vector<Arg>& args) {
    MilWriter& w = ctx.writer();
    if (type == 1) {
        args.emplace_back("pad_type", w.string("valid"));
    } else if (type == 2) {
        args.emplace_back("pad_type", w.string("same"));
    } else {
        args.emplace_back("pad_type", w.string("custom"));
        args.emplace_back("pad", w.ints({p.custompaddingfront(), p.custompaddingback(), p.custompaddingtop(),
                                         p.custompaddingbottom(), p.custompaddingleft(), p.custompaddingright()}));
    }
}

void translate_convolution_3d(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().convolution3d();
    const Var& x = ctx.in();
    require_rank5(ctx, x);
    const int64_t groups = at_least_1(p.ngroups()), c_out = p.outputchannels(), c_in = p.inputchannels();
    if (c_in % groups || c_out % groups) ctx.fail("inputChannels and outputChannels must be divisible by nGroups");
    if (x.dim(1) >= 0 && x.dim(1) != c_in)
        ctx.fail("input has " + std::to_string(x.dim(1)) + " channels, inputChannels is " + std::to_string(c_in));
    MilWriter& w = ctx.writer();
    const int64_t kd = p.kerneldepth(), kh = p.kernelheight(), kw = p.kernelwidth();
    // Deconvolution weights are [C_in, C_out / groups, kD, kH, kW]: output channels on axis 1.
    const Var weight = p.isdeconvolution() ? ctx.weight_const(p.weights(), {c_in, c_out / groups, kd, kh, kw}, "weights", 1)
                                           : ctx.weight_const(p.weights(), {c_out, c_in / groups, kd, kh, kw}, "weights");
    std::vector<Arg> args{
        {"x", x},
        {"weight", weight},
        {"strides", w.ints({at_least_1(p.stridedepth()), at_least_1(p.strideheight()), at_least_1(p.stridewidth())})},
        {"dilations", w.ints({at_least_1(p.dilationdepth()), at_least_1(p.dilationheight()), at_least_1(p.dilationwidth())})},
        {"groups", w.int_scalar(groups)}};
    if (p.hasbias()) args.emplace_back("bias", ctx.weight_const(p.bias(), {c_out}, "bias"));
    padding_3d(ctx, p.paddingtype(), p, args);
    if (p.isdeconvolution() && !p.outputshape().empty()) {
        if (p.outputshape_size() != 3) ctx.fail("outputShape must have 3 values [D_out, H_out, W_out]");
        args.emplace_back("output_shape", w.ints(std::vector<int64_t>(p.outputshape().begin(), p.outputshape().end())));
    }
    ctx.set_out(0, ctx.op(p.isdeconvolution() ? "conv_transpose" : "conv", args, {DType::Float32, {x.dim(0), c_out, -1, -1, -1}}));
}

void translate_pooling_3d(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().pooling3d();
    const Var& x = ctx.in();
    require_rank5(ctx, x);
    MilWriter& w = ctx.writer();
    const bool average = p.type() == spec::Pooling3DLayerParams::AVERAGE;
    std::vector<Arg> args{{"x", x},
                          {"kernel_sizes", w.ints({at_least_1(p.kerneldepth()), at_least_1(p.kernelheight()), at_least_1(p.kernelwidth())})},
                          {"strides", w.ints({at_least_1(p.stridedepth()), at_least_1(p.strideheight()), at_least_1(p.stridewidth())})},
                          {"ceil_mode", w.bool_scalar(false)}};
    padding_3d(ctx, p.paddingtype(), p, args);
    if (average) args.emplace_back("exclude_padding_from_average", w.bool_scalar(p.countexcludepadding()));
    ctx.set_out(0, ctx.op(average ? "avg_pool" : "max_pool", args, {DType::Float32, {x.dim(0), x.dim(1), -1, -1, -1}}));
}

void translate_global_pooling_3d(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    require_rank5(ctx, x);
    const bool average = ctx.layer().globalpooling3d().type() == spec::GlobalPooling3DLayerParams::AVERAGE;
    ctx.set_out(0, reduce(ctx, average ? "reduce_mean" : "reduce_max", x, {-3, -2, -1}));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kConvolution3D, translate_convolution_3d)
OCML_REGISTER_NN_LAYER(kPooling3D, translate_pooling_3d)
OCML_REGISTER_NN_LAYER(kGlobalPooling3D, translate_global_pooling_3d)

}  // namespace opencoreml::nn
