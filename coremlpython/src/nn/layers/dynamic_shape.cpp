// opencoreml neural networks: layers whose output shape comes from run-time values or other
// blobs — getShape, reshapeDynamic, fillDynamic, broadcastTo (Like / Static / Dynamic),
// rangeDynamic, sliceDynamic, sliceBySize and whereNonZero. Shape-carrying blobs are floats in
// NN and int32 in MIL, so they are cast on the way; the rank of a shape-driven output is the
// (load-time) length of the shape blob.
#include <algorithm>

#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

Var ints_of(LayerContext& ctx, const Var& v) { return cast(ctx, v, DType::Int32); }

// The rank of a blob whose values are a shape.
int64_t rank_from_shape_blob(LayerContext& ctx, const Var& shape) {
    if (shape.rank() != 1 || shape.dim(0) < 0)
        ctx.unsupported("a shape input whose length is only known at run time");
    return shape.dim(0);
}

void translate_get_shape(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    ctx.set_out(0, as_float(ctx, ctx.op("shape", {{"x", x}}, {DType::Int32, {x.rank()}})));
}

void translate_reshape_dynamic(LayerContext& ctx) {
    ctx.require(2, 2, 1);
    const Shape out(static_cast<size_t>(rank_from_shape_blob(ctx, ctx.in(1))), -1);
    ctx.set_out(0, ctx.op("reshape", {{"x", ctx.in(0)}, {"shape", ints_of(ctx, ctx.in(1))}}, {DType::Float32, out}));
}

Var fill(LayerContext& ctx, const Var& shape, float value) {
    const Shape out(static_cast<size_t>(rank_from_shape_blob(ctx, shape)), -1);
    return ctx.op("fill", {{"shape", ints_of(ctx, shape)}, {"value", ctx.writer().float_scalar(value)}}, {DType::Float32, out});
}

void translate_fill_dynamic(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    ctx.set_out(0, fill(ctx, ctx.in(), ctx.layer().filldynamic().value()));
}

// x broadcast against zeros of the target shape.
void translate_broadcast_to(LayerContext& ctx) {
    using L = CoreML::Specification::NeuralNetworkLayer;
    const Layer& l = ctx.layer();
    Var zeros;
    if (l.layer_case() == L::kBroadcastToStatic) {
        ctx.require(1, 1, 1);
        const auto& t = l.broadcasttostatic().targetshape();
        zeros = ctx.writer().constant(Tensor::zeros(DType::Float32, Shape(t.begin(), t.end())));
    } else if (l.layer_case() == L::kBroadcastToLike) {
        ctx.require(2, 2, 1);
        zeros = ctx.op("fill_like", {{"ref_tensor", ctx.in(1)}, {"value", ctx.writer().float_scalar(0.0f)}},
                       {DType::Float32, ctx.in(1).shape});
    } else {
        ctx.require(2, 2, 1);
        zeros = fill(ctx, ctx.in(1), 0.0f);
    }
    ctx.set_out(0, binary(ctx, "add", ctx.in(0), zeros));
}

// end (input 1), start (input 2 or the parameter) and step (input 3 or the parameter).
void translate_range_dynamic(LayerContext& ctx) {
    ctx.require(1, 3, 1);
    const auto& p = ctx.layer().rangedynamic();
    MilWriter& w = ctx.writer();
    auto scalar = [&](size_t i, float fallback) {
        return i < ctx.input_count() ? reshape(ctx, ctx.in(i), std::vector<int64_t>{}) : w.float_scalar(fallback);
    };
    ctx.set_out(0, ctx.op("range_1d", {{"end", scalar(0, 0.0f)}, {"start", scalar(1, p.startvalue())},
                                       {"step", scalar(2, p.stepsizevalue())}},
                          {DType::Float32, {-1}}));
}

// Input 2 gives beginIds and inputs 3-7, when present, endIds, strides, beginMasks, endMasks
// and squeezeMasks (the parameters otherwise). With strides or masks as inputs the slice is
// nn_slice_dynamic (MIL's slice_by_index reads them at load); a squeeze-mask input must
// squeeze as many dims as the squeezeMasks parameter, which fixes the output rank.
void translate_slice_dynamic(LayerContext& ctx) {
    ctx.require(2, 7, 1);
    const auto& p = ctx.layer().slicedynamic();
    const Var& x = ctx.in(0);
    const size_t r = static_cast<size_t>(x.rank());
    MilWriter& w = ctx.writer();
    // Builders write 5 values whatever the rank (coremltools' defaults): the first `r` apply.
    auto per_dim = [&](auto values, auto fallback, const char* what) {
        if (values.empty()) values.assign(r, fallback);
        if (values.size() < r) ctx.fail(std::string(what) + " needs one value per input dim (" + std::to_string(r) + ")");
        values.resize(r);
        return values;
    };
    const auto squeeze = per_dim(std::vector<bool>(p.squeezemasks().begin(), p.squeezemasks().end()), false, "squeezeMasks");
    const size_t kept = static_cast<size_t>(std::count(squeeze.begin(), squeeze.end(), false));
    if (ctx.input_count() > 3) {
        auto given = [&](size_t i, const Var& fallback) { return i < ctx.input_count() ? ctx.in(i) : fallback; };
        auto mask = [&](const auto& field, const char* what) {
            return w.bools(per_dim(std::vector<bool>(field.begin(), field.end()), false, what));
        };
        const Var end = ctx.in(2);
        const Var stride = given(3, w.ints(per_dim(std::vector<int64_t>(p.strides().begin(), p.strides().end()), int64_t{1}, "strides")));
        const Var begin_mask = given(4, mask(p.beginmasks(), "beginMasks"));
        const Var end_mask = given(5, mask(p.endmasks(), "endMasks"));
        const Var squeeze_mask = given(6, w.bools(squeeze));
        ctx.set_out(0, ctx.op("nn_slice_dynamic", {{"x", x}, {"begin", ctx.in(1)}, {"end", end}, {"stride", stride},
                                                   {"begin_mask", begin_mask}, {"end_mask", end_mask},
                                                   {"squeeze_mask", squeeze_mask}},
                              {x.dtype, Shape(kept, -1)}));
        return;
    }
    std::vector<Arg> args{{"x", x},
                          {"begin", ints_of(ctx, ctx.in(1))},
                          {"end", ctx.input_count() > 2 ? ints_of(ctx, ctx.in(2))
                                                        : w.ints(per_dim(std::vector<int64_t>(p.endids().begin(), p.endids().end()),
                                                                         int64_t{0}, "endIds"))},
                          {"stride", w.ints(per_dim(std::vector<int64_t>(p.strides().begin(), p.strides().end()), int64_t{1}, "strides"))},
                          {"begin_mask", w.bools(per_dim(std::vector<bool>(p.beginmasks().begin(), p.beginmasks().end()), false, "beginMasks"))},
                          {"end_mask", w.bools(per_dim(std::vector<bool>(p.endmasks().begin(), p.endmasks().end()), false, "endMasks"))},
                          {"squeeze_mask", w.bools(squeeze)}};
    ctx.set_out(0, ctx.op("slice_by_index", args, {DType::Float32, Shape(kept, -1)}));
}

// A slice of `size` elements from a run-time begin (input 2) along `axis`.
void translate_slice_by_size(LayerContext& ctx) {
    ctx.require(2, 2, 1);
    const auto& p = ctx.layer().slicebysize();
    const Var& x = ctx.in(0);
    const int64_t r = x.rank(), a = normalize_axis(ctx, p.axis(), r);
    MilWriter& w = ctx.writer();
    std::vector<Var> begin_parts;
    if (a > 0) begin_parts.push_back(w.ints(std::vector<int64_t>(static_cast<size_t>(a), 0)));
    begin_parts.push_back(reshape(ctx, ints_of(ctx, ctx.in(1)), {1}));
    if (a + 1 < r) begin_parts.push_back(w.ints(std::vector<int64_t>(static_cast<size_t>(r - a - 1), 0)));
    const Var begin = begin_parts.size() == 1 ? begin_parts[0]
                                              : ctx.op("concat", {{"values", begin_parts}, {"axis", w.int_scalar(0)},
                                                                  {"interleave", w.bool_scalar(false)}},
                                                       {DType::Int32, {r}});
    std::vector<int64_t> size(static_cast<size_t>(r), -1);
    size[static_cast<size_t>(a)] = p.size();
    Shape out = x.shape;
    out[static_cast<size_t>(a)] = p.size();
    ctx.set_out(0, ctx.op("slice_by_size", {{"x", x}, {"begin", begin}, {"size", w.ints(size)}}, {DType::Float32, out}));
}

void translate_where_non_zero(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    ctx.set_out(0, as_float(ctx, ctx.op("non_zero", {{"x", x}}, {DType::Int32, {-1, x.rank()}})));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kGetShape, translate_get_shape)
OCML_REGISTER_NN_LAYER(kReshapeDynamic, translate_reshape_dynamic)
OCML_REGISTER_NN_LAYER(kFillDynamic, translate_fill_dynamic)
OCML_REGISTER_NN_LAYER(kBroadcastToStatic, translate_broadcast_to)
OCML_REGISTER_NN_LAYER(kBroadcastToLike, translate_broadcast_to)
OCML_REGISTER_NN_LAYER(kBroadcastToDynamic, translate_broadcast_to)
OCML_REGISTER_NN_LAYER(kRangeDynamic, translate_range_dynamic)
OCML_REGISTER_NN_LAYER(kSliceDynamic, translate_slice_dynamic)
OCML_REGISTER_NN_LAYER(kSliceBySize, translate_slice_by_size)
OCML_REGISTER_NN_LAYER(kWhereNonZero, translate_where_non_zero)

}  // namespace opencoreml::nn
