// opencoreml neural networks: layers that only re-view or re-order a blob — reshape (rank 5,
// channel-first or channel-last order), flatten, flattenTo2D, reshapeStatic / Like / Dynamic,
// rankPreservingReshape, squeeze, expandDims, permute (rank 5, Batch fixed), transpose and
// copy. Reshapes are zero-copy views in the engine; only re-orderings move data.
#include <algorithm>

#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;

Var transpose(LayerContext& ctx, const Var& x, const std::vector<int64_t>& perm) {
    Shape out;
    for (int64_t p : perm) out.push_back(x.shape[static_cast<size_t>(p)]);
    return ctx.op("transpose", {{"x", x}, {"perm", ctx.writer().ints(perm)}}, {x.dtype, out});
}

void require_rank(const LayerContext& ctx, const Var& x, int64_t rank) {
    if (x.rank() != rank)
        ctx.fail("needs an input of rank " + std::to_string(rank) + ", got " + shape_to_string(x.shape));
}

// Rank-5 reshape: targetShape [C, H, W] keeps Seq, [Seq, C, H, W] sets it; Batch becomes 1.
void translate_reshape(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().reshape();
    const Var& x = ctx.in();
    require_rank(ctx, x, 5);
    std::vector<int64_t> t(p.targetshape().begin(), p.targetshape().end());
    if (t.size() != 3 && t.size() != 4) ctx.fail("targetShape must have 3 or 4 values, got " + std::to_string(t.size()));
    const std::vector<int64_t> target = t.size() == 3 ? std::vector<int64_t>{0, 1, t[0], t[1], t[2]}
                                                      : std::vector<int64_t>{t[0], 1, t[1], t[2], t[3]};
    if (p.mode() == spec::ReshapeLayerParams::CHANNEL_FIRST) {
        ctx.set_out(0, reshape(ctx, x, target));
        return;
    }
    // Channel last: flatten each step as [H, W, C], re-view as [H_out, W_out, C_out], then
    // move channels back in front.
    const Var hwc = transpose(ctx, x, {0, 1, 3, 4, 2});
    const Var viewed = reshape(ctx, hwc, {target[0], 1, target[3], target[4], target[2]});
    ctx.set_out(0, transpose(ctx, viewed, {0, 1, 4, 2, 3}));
}

// [.., C, H, W] -> [.., C * H * W, 1, 1] (channel-last flattens each position's channels last).
void translate_flatten(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    if (x.rank() < 3) ctx.fail("needs an input of rank 3 or more, got rank " + std::to_string(x.rank()));
    const int64_t r = x.rank();
    Var src = x;
    if (ctx.layer().flatten().mode() == spec::FlattenLayerParams::CHANNEL_LAST) {
        std::vector<int64_t> perm;
        for (int64_t i = 0; i < r - 3; ++i) perm.push_back(i);
        perm.insert(perm.end(), {r - 2, r - 1, r - 3});
        src = transpose(ctx, x, perm);
    }
    const int64_t chw = x.dim(-1) >= 0 && x.dim(-2) >= 0 && x.dim(-3) >= 0 ? x.dim(-1) * x.dim(-2) * x.dim(-3) : -1;
    Shape lead(x.shape.begin(), x.shape.end() - 3);
    if (chw >= 0 && std::all_of(lead.begin(), lead.end(), [](int64_t d) { return d >= 0; })) {
        std::vector<int64_t> target(lead.begin(), lead.end());
        target.insert(target.end(), {chw, 1, 1});
        ctx.set_out(0, reshape(ctx, src, target));
        return;
    }
    const Var rows = ctx.op("flatten2d", {{"x", src}, {"axis", ctx.writer().int_scalar(r - 3)}},
                            {DType::Float32, {-1, chw}});
    ctx.set_out(0, expand_dims(ctx, keep_lead(ctx, rows, x, r - 3, 1), {-1, -2}));
}

void translate_flatten_to_2d(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    const int64_t r = x.rank();
    int64_t axis = ctx.layer().flattento2d().axis();
    if (axis < -r || axis > r) ctx.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
    if (axis < 0) axis += r;
    auto product = [&](int64_t lo, int64_t hi) {
        int64_t p = 1;
        for (int64_t i = lo; i < hi; ++i) p = p < 0 || x.shape[static_cast<size_t>(i)] < 0 ? -1 : p * x.shape[static_cast<size_t>(i)];
        return p;
    };
    ctx.set_out(0, ctx.op("flatten2d", {{"x", x}, {"axis", ctx.writer().int_scalar(axis)}},
                          {DType::Float32, {product(0, axis), product(axis, r)}}));
}

void translate_reshape_static(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& t = ctx.layer().reshapestatic().targetshape();
    ctx.set_out(0, reshape(ctx, ctx.in(), std::vector<int64_t>(t.begin(), t.end())));
}

// The new shape of rankPreservingReshape: 0 keeps the input's dim at that position.
void translate_rank_preserving_reshape(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& t = ctx.layer().rankpreservingreshape().targetshape();
    const Var& x = ctx.in();
    if (t.size() != x.rank()) ctx.fail("targetShape must have one value per input dim (" + std::to_string(x.rank()) + ")");
    ctx.set_out(0, reshape(ctx, x, std::vector<int64_t>(t.begin(), t.end())));
}

void translate_reshape_like(LayerContext& ctx) {
    ctx.require(2, 2, 1);
    const Var& ref = ctx.in(1);
    ctx.set_out(0, keep_lead(ctx, reshape(ctx, ctx.in(0), {-1}), ref, ref.rank(), 1));
}

void translate_squeeze(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().squeeze();
    const Var& x = ctx.in();
    std::vector<int64_t> axes(p.axes().begin(), p.axes().end());
    if (p.squeezeall()) {
        axes.clear();
        for (int64_t i = 0; i < x.rank(); ++i) {
            const int64_t d = x.shape[static_cast<size_t>(i)];
            if (d < 0) ctx.unsupported("squeezeAll on a blob whose dims are only known at run time");
            if (d == 1) axes.push_back(i);
        }
    }
    // A rank-1 input stays rank 1.
    if (axes.empty() || (x.rank() == 1 && axes.size() == 1)) {
        ctx.set_out(0, x);
        return;
    }
    if (static_cast<int64_t>(axes.size()) == x.rank()) {
        ctx.set_out(0, reshape(ctx, x, {1}));
        return;
    }
    ctx.set_out(0, squeeze(ctx, x, axes));
}

void translate_expand_dims(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& axes = ctx.layer().expanddims().axes();
    ctx.set_out(0, expand_dims(ctx, ctx.in(), std::vector<int64_t>(axes.begin(), axes.end())));
}

// Rank-5 permute: axis permutes (Seq, C, H, W); Batch (axis 1) stays in place.
void translate_permute(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& a = ctx.layer().permute().axis();
    const Var& x = ctx.in();
    require_rank(ctx, x, 5);
    if (a.empty()) {
        ctx.set_out(0, x);
        return;
    }
    if (a.size() != 4) ctx.fail("axis must have 4 values, got " + std::to_string(a.size()));
    static const int64_t dim_of[] = {0, 2, 3, 4};
    std::vector<int64_t> perm{0, 1, 0, 0, 0}, seen(4, 0);
    for (int i = 0; i < 4; ++i) {
        if (a[i] > 3 || seen[a[i]]++) ctx.fail("axis must be a permutation of [0, 1, 2, 3]");
        perm[static_cast<size_t>(dim_of[i])] = dim_of[a[i]];
    }
    ctx.set_out(0, transpose(ctx, x, perm));
}

void translate_transpose(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& a = ctx.layer().transpose().axes();
    const Var& x = ctx.in();
    if (a.size() != x.rank()) ctx.fail("axes must have one value per input dim (" + std::to_string(x.rank()) + ")");
    std::vector<int64_t> perm(a.begin(), a.end()), seen(static_cast<size_t>(x.rank()), 0);
    for (int64_t p : perm)
        if (p >= x.rank() || seen[static_cast<size_t>(p)]++) ctx.fail("axes must be a permutation of the input dims");
    ctx.set_out(0, transpose(ctx, x, perm));
}

void translate_copy(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    ctx.set_out(0, ctx.in());
}

}  // namespace

OCML_REGISTER_NN_LAYER(kReshape, translate_reshape)
OCML_REGISTER_NN_LAYER(kFlatten, translate_flatten)
OCML_REGISTER_NN_LAYER(kFlattenTo2D, translate_flatten_to_2d)
OCML_REGISTER_NN_LAYER(kReshapeStatic, translate_reshape_static)
OCML_REGISTER_NN_LAYER(kRankPreservingReshape, translate_rank_preserving_reshape)
OCML_REGISTER_NN_LAYER(kReshapeLike, translate_reshape_like)
OCML_REGISTER_NN_LAYER(kSqueeze, translate_squeeze)
OCML_REGISTER_NN_LAYER(kExpandDims, translate_expand_dims)
OCML_REGISTER_NN_LAYER(kPermute, translate_permute)
OCML_REGISTER_NN_LAYER(kTranspose, translate_transpose)
OCML_REGISTER_NN_LAYER(kCopy, translate_copy)

}  // namespace opencoreml::nn
