// opencoreml neural networks: layers that resample or rearrange the spatial dims of
// [.., C, H, W] blobs — upsample (nearest, or bilinear with its three grid modes),
// resizeBilinear, crop, reorganizeData (space/depth moves, pixel shuffle), sequenceRepeat and
// dot. NN upsample DEFAULT, ALIGN_CORNERS_TRUE and ALIGN_CORNERS_FALSE grids are MIL's
// upsample_bilinear without alignment, with align_corners, and with half-pixel centres.
#include <cmath>

#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;

void require_rank(const LayerContext& ctx, const Var& x, int64_t min_rank) {
    if (x.rank() < min_rank)
        ctx.fail("needs an input of rank " + std::to_string(min_rank) + " or more ([.., C, H, W]), got " + shape_to_string(x.shape));
}

int64_t scaled(int64_t d, double s) { return d < 0 ? -1 : static_cast<int64_t>(std::floor(static_cast<double>(d) * s)); }

void translate_upsample(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().upsample();
    const Var& x = ctx.in();
    require_rank(ctx, x, 3);
    double sh = 1.0, sw = 1.0;
    if (p.scalingfactor_size() && p.fractionalscalingfactor_size())
        ctx.fail("scalingFactor and fractionalScalingFactor are mutually exclusive");
    if (p.scalingfactor_size()) {
        if (p.scalingfactor_size() != 2) ctx.fail("scalingFactor must have 2 values [H, W]");
        sh = static_cast<double>(p.scalingfactor(0));
        sw = static_cast<double>(p.scalingfactor(1));
    } else if (p.fractionalscalingfactor_size()) {
        if (p.fractionalscalingfactor_size() != 2) ctx.fail("fractionalScalingFactor must have 2 values [H, W]");
        sh = p.fractionalscalingfactor(0);
        sw = p.fractionalscalingfactor(1);
    }
    Shape out = x.shape;
    out[out.size() - 2] = scaled(x.dim(-2), sh);
    out[out.size() - 1] = scaled(x.dim(-1), sw);
    MilWriter& w = ctx.writer();
    std::vector<Arg> args{{"x", x}, {"scale_factor_height", w.float_scalar(static_cast<float>(sh))},
                          {"scale_factor_width", w.float_scalar(static_cast<float>(sw))}};
    if (p.mode() == spec::UpsampleLayerParams::NN) {
        ctx.set_out(0, ctx.op("upsample_nearest_neighbor", args, {DType::Float32, out}));
        return;
    }
    using M = spec::UpsampleLayerParams;
    args.emplace_back("align_corners", w.bool_scalar(p.linearupsamplemode() == M::ALIGN_CORNERS_TRUE));
    args.emplace_back("half_pixel_centers", w.bool_scalar(p.linearupsamplemode() == M::ALIGN_CORNERS_FALSE));
    ctx.set_out(0, ctx.op("upsample_bilinear", args, {DType::Float32, out}));
}

void translate_resize_bilinear(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().resizebilinear();
    const Var& x = ctx.in();
    require_rank(ctx, x, 3);
    int64_t h = 1, wd = 1;
    if (p.targetsize_size()) {
        if (p.targetsize_size() != 2) ctx.fail("targetSize must have 2 values [H, W]");
        h = static_cast<int64_t>(p.targetsize(0));
        wd = static_cast<int64_t>(p.targetsize(1));
    }
    static const char* modes[] = {"STRICT_ALIGN_CORNERS", "ALIGN_CORNERS", "DEFAULT", "OFFSET_CORNERS"};
    const int mode = p.mode().samplingmethod();
    if (mode < 0 || mode > 3) ctx.fail("unknown sampling mode " + std::to_string(mode));
    Shape out = x.shape;
    out[out.size() - 2] = h;
    out[out.size() - 1] = wd;
    MilWriter& w = ctx.writer();
    ctx.set_out(0, ctx.op("resize_bilinear",
                          {{"x", x}, {"target_size_height", w.int_scalar(h)}, {"target_size_width", w.int_scalar(wd)},
                           {"sampling_mode", w.string(modes[mode])}},
                          {DType::Float32, out}));
}

// Crop of the last two dims: by border amounts, or at `offset` to the size of a second input.
void translate_crop(LayerContext& ctx) {
    ctx.require(1, 2, 1);
    const auto& p = ctx.layer().crop();
    const Var& x = ctx.in();
    require_rank(ctx, x, 3);
    int64_t top = 0, bottom = 0, left = 0, right = 0;
    const int64_t h = x.dim(-2), wd = x.dim(-1);
    if (ctx.input_count() == 1) {
        const auto& b = p.cropamounts().borderamounts();
        if (b.size() != 2) ctx.fail("cropAmounts must have 2 entries [H, W]");
        top = static_cast<int64_t>(b[0].startedgesize());
        bottom = static_cast<int64_t>(b[0].endedgesize());
        left = static_cast<int64_t>(b[1].startedgesize());
        right = static_cast<int64_t>(b[1].endedgesize());
    } else {
        const Var& ref = ctx.in(1);
        if (p.offset_size() != 2) ctx.fail("offset must have 2 values [H, W]");
        if (h < 0 || wd < 0 || ref.dim(-2) < 0 || ref.dim(-1) < 0)
            ctx.unsupported("a two-input crop of blobs whose sizes are only known at run time");
        top = static_cast<int64_t>(p.offset(0));
        left = static_cast<int64_t>(p.offset(1));
        bottom = h - top - ref.dim(-2);
        right = wd - left - ref.dim(-1);
        if (bottom < 0 || right < 0) ctx.fail("the reference size does not fit in the input at this offset");
    }
    Shape out = x.shape;
    out[out.size() - 2] = h < 0 ? -1 : h - top - bottom;
    out[out.size() - 1] = wd < 0 ? -1 : wd - left - right;
    MilWriter& w = ctx.writer();
    ctx.set_out(0, ctx.op("crop", {{"x", x}, {"crop_height", w.ints({top, bottom})}, {"crop_width", w.ints({left, right})}},
                          {DType::Float32, out}));
}

void translate_reorganize_data(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().reorganizedata();
    const Var& x = ctx.in();
    require_rank(ctx, x, 3);
    const int64_t b = static_cast<int64_t>(p.blocksize());
    if (b < 2) ctx.fail("blockSize must be greater than 1");
    MilWriter& w = ctx.writer();
    const Var x4 = to_nchw(ctx, x);
    using R = spec::ReorganizeDataLayerParams;
    auto sized = [&](int64_t d, bool up) { return d < 0 ? -1 : up ? d * b : d / b; };
    Var y;
    switch (p.mode()) {
        case R::SPACE_TO_DEPTH:
            y = ctx.op("space_to_depth", {{"x", x4}, {"block_size", w.int_scalar(b)}},
                       {DType::Float32, {x4.dim(0), x4.dim(1) < 0 ? -1 : x4.dim(1) * b * b, sized(x4.dim(2), false), sized(x4.dim(3), false)}});
            break;
        case R::DEPTH_TO_SPACE:
        case R::PIXEL_SHUFFLE: {
            const bool shuffle = p.mode() == R::PIXEL_SHUFFLE;
            y = ctx.op(shuffle ? "pixel_shuffle" : "depth_to_space",
                       {{"x", x4}, {shuffle ? "upscale_factor" : "block_size", w.int_scalar(b)}},
                       {DType::Float32, {x4.dim(0), x4.dim(1) < 0 ? -1 : x4.dim(1) / (b * b), sized(x4.dim(2), true), sized(x4.dim(3), true)}});
            break;
        }
        default: ctx.fail("unknown reorganization mode " + std::to_string(p.mode()));
    }
    ctx.set_out(0, from_nchw(ctx, y, x));
}

// Repeats the blob along the sequence axis (-5).
void translate_sequence_repeat(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    require_rank(ctx, x, 5);
    const int64_t n = ctx.layer().sequencerepeat().nrepetitions() ? static_cast<int64_t>(ctx.layer().sequencerepeat().nrepetitions()) : 1;
    std::vector<int64_t> reps(static_cast<size_t>(x.rank()), 1);
    reps[reps.size() - 5] = n;
    Shape out = x.shape;
    out[out.size() - 5] = x.dim(-5) < 0 ? -1 : x.dim(-5) * n;
    ctx.set_out(0, ctx.op("tile", {{"x", x}, {"reps", ctx.writer().ints(reps)}}, {DType::Float32, out}));
}

// Dot product over axis -3 of two [.., C, 1, 1] blobs (cosine similarity: of the unit vectors).
void translate_dot(LayerContext& ctx) {
    ctx.require(2, 2, 1);
    Var a = ctx.in(0), b = ctx.in(1);
    require_rank(ctx, a, 3);
    if (ctx.layer().dot().cosinesimilarity()) {
        auto unit = [&](const Var& v) {
            const Var norm = reduce(ctx, "reduce_l2_norm", v, {-3});
            return binary(ctx, "real_div", v, norm);
        };
        a = unit(a);
        b = unit(b);
    }
    ctx.set_out(0, reduce(ctx, "reduce_sum", binary(ctx, "mul", a, b), {-3}));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kUpsample, translate_upsample)
OCML_REGISTER_NN_LAYER(kResizeBilinear, translate_resize_bilinear)
OCML_REGISTER_NN_LAYER(kCrop, translate_crop)
OCML_REGISTER_NN_LAYER(kReorganizeData, translate_reorganize_data)
OCML_REGISTER_NN_LAYER(kSequenceRepeat, translate_sequence_repeat)
OCML_REGISTER_NN_LAYER(kDot, translate_dot)

}  // namespace opencoreml::nn
