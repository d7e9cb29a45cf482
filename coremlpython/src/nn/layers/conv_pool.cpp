// opencoreml neural networks: convolution (and deconvolution) and pooling layers on
// [.., C, H, W] blobs, as MIL conv / conv_transpose / max_pool / avg_pool / l2_pool over the
// [N, C, H, W] view. NN padding maps onto MIL's: valid with paddingAmounts = custom pads,
// same BOTTOM_RIGHT_HEAVY = "same", TOP_LEFT_HEAVY = "same_lower", includeLastPixel =
// symmetric pads with ceil_mode; global pooling is a reduction over H and W.
#include "nn/emit.hpp"
#include "nn/weights.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;

std::vector<int64_t> pair_or(const google::protobuf::RepeatedField<uint64_t>& v, int64_t fallback, const LayerContext& ctx,
                             const char* what) {
    if (v.empty()) return {fallback, fallback};
    if (v.size() != 2) ctx.fail(std::string(what) + " must have 2 values [H, W], got " + std::to_string(v.size()));
    return {static_cast<int64_t>(v[0]), static_cast<int64_t>(v[1])};
}

// pad_type (and pad for custom) of a conv or pool with NN valid/same padding.
void padding_args(LayerContext& ctx, bool same, const spec::SamePadding& same_p, const spec::ValidPadding& valid_p,
                  std::vector<Arg>& args) {
    MilWriter& w = ctx.writer();
    if (same) {
        const bool top_left = same_p.asymmetrymode() == spec::SamePadding::TOP_LEFT_HEAVY;
        args.emplace_back("pad_type", w.string(top_left ? "same_lower" : "same"));
        return;
    }
    std::vector<int64_t> pad(4, 0);
    const auto& borders = valid_p.paddingamounts().borderamounts();
    if (!borders.empty() && borders.size() != 2) ctx.fail("paddingAmounts must have 2 entries [H, W]");
    for (int i = 0; i < borders.size(); ++i) {
        pad[2 * i] = static_cast<int64_t>(borders[i].startedgesize());
        pad[2 * i + 1] = static_cast<int64_t>(borders[i].endedgesize());
    }
    args.emplace_back("pad_type", w.string("custom"));
    args.emplace_back("pad", w.ints(pad));
}

Shape spatial_out(const Var& x4, int64_t channels) { return {x4.dim(0), channels, -1, -1}; }

void translate_convolution(LayerContext& ctx) {
    ctx.require(1, 2, 1);
    const auto& p = ctx.layer().convolution();
    const Var& x = ctx.in();
    if (x.rank() < 3) ctx.fail("needs an input of rank 3 or more ([.., C, H, W]), got rank " + std::to_string(x.rank()));
    MilWriter& w = ctx.writer();
    const int64_t groups = p.ngroups() == 0 ? 1 : static_cast<int64_t>(p.ngroups());
    const int64_t c_out = static_cast<int64_t>(p.outputchannels()), k_c = static_cast<int64_t>(p.kernelchannels());
    const std::vector<int64_t> kernel = pair_or(p.kernelsize(), 3, ctx, "kernelSize");
    const Var x4 = to_nchw(ctx, x);
    const int64_t c_in = x4.dim(1);
    if (c_in >= 0 && !p.isdeconvolution() && ctx.input_count() == 1 && c_in != k_c * groups)
        ctx.fail("input has " + std::to_string(c_in) + " channels but kernelChannels * nGroups = " + std::to_string(k_c * groups));
    if (c_in >= 0 && p.isdeconvolution() && c_in != k_c)
        ctx.fail("input has " + std::to_string(c_in) + " channels but a deconvolution's kernelChannels is " + std::to_string(k_c));
    if (c_out % groups) ctx.fail("outputChannels must be divisible by nGroups");
    std::vector<Arg> args{{"x", x4},
                          {"strides", w.ints(pair_or(p.stride(), 1, ctx, "stride"))},
                          {"groups", w.int_scalar(groups)}};
    padding_args(ctx, p.has_same(), p.same(), p.valid(), args);
    if (p.hasbias()) args.emplace_back("bias", ctx.weight_const(p.bias(), {c_out}, "bias"));
    Var y;
    if (!p.isdeconvolution()) {
        if (ctx.input_count() == 2) args.emplace_back("weight", ctx.in(1));
        else args.emplace_back("weight", ctx.weight_const(p.weights(), {c_out, k_c, kernel[0], kernel[1]}, "weights"));
        args.emplace_back("dilations", w.ints(pair_or(p.dilationfactor(), 1, ctx, "dilationFactor")));
        y = ctx.op("conv", args, {DType::Float32, spatial_out(x4, c_out)});
    } else {
        if (ctx.input_count() == 2) ctx.unsupported("a deconvolution with its weights as a second input");
        // Deconvolution weights are [C_in, C_out / groups, kH, kW]: output channels on axis 1.
        args.emplace_back("weight", ctx.weight_const(p.weights(), {k_c, c_out / groups, kernel[0], kernel[1]}, "weights", 1));
        if (!p.outputshape().empty()) {
            if (p.outputshape_size() != 2) ctx.fail("outputShape must have 2 values [H_out, W_out]");
            args.emplace_back("output_shape", w.ints({static_cast<int64_t>(p.outputshape(0)), static_cast<int64_t>(p.outputshape(1))}));
        }
        y = ctx.op("conv_transpose", args, {DType::Float32, spatial_out(x4, c_out)});
    }
    ctx.set_out(0, from_nchw(ctx, y, x));
}

void translate_pooling(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().pooling();
    const Var& x = ctx.in();
    if (x.rank() < 3) ctx.fail("needs an input of rank 3 or more ([.., C, H, W]), got rank " + std::to_string(x.rank()));
    MilWriter& w = ctx.writer();
    using P = spec::PoolingLayerParams;
    if (p.globalpooling()) {
        static const char* reductions[] = {"reduce_max", "reduce_mean", "reduce_l2_norm"};
        if (p.type() < 0 || p.type() > 2) ctx.fail("unknown pooling type " + std::to_string(p.type()));
        Shape out = x.shape;
        out[out.size() - 1] = out[out.size() - 2] = 1;
        ctx.set_out(0, ctx.op(reductions[p.type()],
                              {{"x", x}, {"axes", w.ints({-2, -1})}, {"keep_dims", w.bool_scalar(true)}},
                              {DType::Float32, out}));
        return;
    }
    static const char* pools[] = {"max_pool", "avg_pool", "l2_pool"};
    if (p.type() < 0 || p.type() > 2) ctx.fail("unknown pooling type " + std::to_string(p.type()));
    const Var x4 = to_nchw(ctx, x);
    std::vector<Arg> args{{"x", x4},
                          {"kernel_sizes", w.ints(pair_or(p.kernelsize(), 3, ctx, "kernelSize"))},
                          {"strides", w.ints(pair_or(p.stride(), 1, ctx, "stride"))}};
    if (p.PoolingPaddingType_case() == P::kIncludeLastPixel) {
        const auto& amounts = p.includelastpixel().paddingamounts();
        if (!amounts.empty() && amounts.size() != 2) ctx.fail("includeLastPixel paddingAmounts must have 2 values [H, W]");
        const int64_t ph = amounts.empty() ? 0 : static_cast<int64_t>(amounts[0]);
        const int64_t pw = amounts.empty() ? 0 : static_cast<int64_t>(amounts[1]);
        args.emplace_back("pad_type", w.string("custom"));
        args.emplace_back("pad", w.ints({ph, ph, pw, pw}));
        args.emplace_back("ceil_mode", w.bool_scalar(true));
    } else {
        padding_args(ctx, p.has_same(), p.same(), p.valid(), args);
        args.emplace_back("ceil_mode", w.bool_scalar(false));
    }
    if (p.type() == P::AVERAGE) args.emplace_back("exclude_padding_from_average", w.bool_scalar(p.avgpoolexcludepadding()));
    const Var y = ctx.op(pools[p.type()], args, {DType::Float32, spatial_out(x4, x4.dim(1))});
    ctx.set_out(0, from_nchw(ctx, y, x));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kConvolution, translate_convolution)
OCML_REGISTER_NN_LAYER(kPooling, translate_pooling)

}  // namespace opencoreml::nn
