// opencoreml neural networks: reductions — the classic reduce layer (axes C/H/W, kept as 1s;
// LOGSUM is sum(log(x + epsilon))), the ND reduce* layers (axes, keepDims, reduceAll), argMax /
// argMin, topK and argSort. Index results are floats, as every NN blob is. Reducing every
// dim without keeping them gives shape [1]: NN blobs have rank 1 or more.
#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;
using L = spec::NeuralNetworkLayer;

// A reduction result of rank 0 becomes [1].
Var at_least_rank1(LayerContext& ctx, const Var& y) { return y.rank() == 0 ? reshape(ctx, y, {1}) : y; }

template <class P>
void translate_reduce_nd(LayerContext& ctx, const P& p, const std::string& op) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    std::vector<int64_t> axes(p.axes().begin(), p.axes().end());
    if (p.reduceall() || axes.empty()) {
        axes.clear();
        for (int64_t i = 0; i < x.rank(); ++i) axes.push_back(i);
    }
    ctx.set_out(0, at_least_rank1(ctx, reduce(ctx, op, x, axes, p.keepdims())));
}

void translate_reduce_family(LayerContext& ctx) {
    const Layer& l = ctx.layer();
    switch (l.layer_case()) {
        case L::kReduceL1: return translate_reduce_nd(ctx, l.reducel1(), "reduce_l1_norm");
        case L::kReduceL2: return translate_reduce_nd(ctx, l.reducel2(), "reduce_l2_norm");
        case L::kReduceMax: return translate_reduce_nd(ctx, l.reducemax(), "reduce_max");
        case L::kReduceMin: return translate_reduce_nd(ctx, l.reducemin(), "reduce_min");
        case L::kReduceSum: return translate_reduce_nd(ctx, l.reducesum(), "reduce_sum");
        case L::kReduceProd: return translate_reduce_nd(ctx, l.reduceprod(), "reduce_prod");
        case L::kReduceMean: return translate_reduce_nd(ctx, l.reducemean(), "reduce_mean");
        case L::kReduceLogSum: return translate_reduce_nd(ctx, l.reducelogsum(), "reduce_log_sum");
        case L::kReduceSumSquare: return translate_reduce_nd(ctx, l.reducesumsquare(), "reduce_sum_square");
        case L::kReduceLogSumExp: return translate_reduce_nd(ctx, l.reducelogsumexp(), "reduce_log_sum_exp");
        default: ctx.fail("is not a reduction");
    }
}

Var arg_reduce(LayerContext& ctx, const std::string& op, const Var& x, int64_t axis, bool keep_dims) {
    const int64_t a = normalize_axis(ctx, axis, x.rank());
    Shape out = x.shape;
    if (keep_dims) out[static_cast<size_t>(a)] = 1;
    else out.erase(out.begin() + a);
    MilWriter& w = ctx.writer();
    const Var idx = ctx.op(op, {{"x", x}, {"axis", w.int_scalar(a)}, {"keep_dims", w.bool_scalar(keep_dims)}}, {DType::Int32, out});
    return as_float(ctx, idx);
}

// Classic reduce: axes CHW, HW, C, H or W, always kept.
void translate_reduce(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().reduce();
    const Var& x = ctx.in();
    using R = spec::ReduceLayerParams;
    static const std::vector<int64_t> axes_of[] = {{-3, -2, -1}, {-2, -1}, {-3}, {-2}, {-1}};
    if (p.axis() < 0 || p.axis() > 4) ctx.fail("unknown reduce axis " + std::to_string(p.axis()));
    const std::vector<int64_t>& axes = axes_of[p.axis()];
    if (x.rank() < static_cast<int64_t>(-axes.front()))
        ctx.fail("needs an input of rank " + std::to_string(-axes.front()) + " or more");
    const float epsilon = p.epsilon() == 0.0f ? 1e-6f : p.epsilon();
    switch (p.mode()) {
        case R::SUM: ctx.set_out(0, reduce(ctx, "reduce_sum", x, axes)); break;
        case R::AVG: ctx.set_out(0, reduce(ctx, "reduce_mean", x, axes)); break;
        case R::PROD: ctx.set_out(0, reduce(ctx, "reduce_prod", x, axes)); break;
        case R::LOGSUM: {
            const Var logs = same_shape(ctx, "log", x, {{"epsilon", ctx.writer().float_scalar(epsilon)}});
            ctx.set_out(0, reduce(ctx, "reduce_sum", logs, axes));
            break;
        }
        case R::SUMSQUARE: ctx.set_out(0, reduce(ctx, "reduce_sum_square", x, axes)); break;
        case R::L1: ctx.set_out(0, reduce(ctx, "reduce_l1_norm", x, axes)); break;
        case R::L2: ctx.set_out(0, reduce(ctx, "reduce_l2_norm", x, axes)); break;
        case R::MAX: ctx.set_out(0, reduce(ctx, "reduce_max", x, axes)); break;
        case R::MIN: ctx.set_out(0, reduce(ctx, "reduce_min", x, axes)); break;
        case R::ARGMAX:
            if (axes.size() != 1) ctx.fail("ARGMAX reduces one axis (C, H or W)");
            ctx.set_out(0, arg_reduce(ctx, "reduce_argmax", x, axes[0], true));
            break;
        default: ctx.fail("unknown reduce mode " + std::to_string(p.mode()));
    }
}

void translate_arg(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const bool is_max = ctx.layer().layer_case() == L::kArgMax;
    const int64_t axis = is_max ? ctx.layer().argmax().axis() : ctx.layer().argmin().axis();
    const bool remove = is_max ? ctx.layer().argmax().removedim() : ctx.layer().argmin().removedim();
    const Var& x = ctx.in();
    ctx.set_out(0, arg_reduce(ctx, is_max ? "reduce_argmax" : "reduce_argmin", x, axis, !remove || x.rank() == 1));
}

void translate_topk(LayerContext& ctx) {
    ctx.require(1, 1, 2);
    const auto& p = ctx.layer().topk();
    const Var& x = ctx.in();
    const int64_t a = normalize_axis(ctx, p.axis(), x.rank());
    const int64_t k = static_cast<int64_t>(p.k());
    Shape out = x.shape;
    out[static_cast<size_t>(a)] = k;
    MilWriter& w = ctx.writer();
    const std::vector<Var> r = ctx.ops("topk",
                                       {{"x", x}, {"k", w.int_scalar(k)}, {"axis", w.int_scalar(a)},
                                        {"ascending", w.bool_scalar(p.usebottomk())}},
                                       {{DType::Float32, out}, {DType::Int32, out}});
    ctx.set_out(0, r[0]);
    ctx.set_out(1, as_float(ctx, r[1]));
}

void translate_argsort(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().argsort();
    const Var& x = ctx.in();
    MilWriter& w = ctx.writer();
    const Var idx = ctx.op("argsort",
                           {{"x", x}, {"axis", w.int_scalar(normalize_axis(ctx, p.axis(), x.rank()))},
                            {"ascending", w.bool_scalar(!p.descending())}},
                           {DType::Int32, x.shape});
    ctx.set_out(0, as_float(ctx, idx));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kReduce, translate_reduce)
OCML_REGISTER_NN_LAYER(kReduceL1, translate_reduce_family)
OCML_REGISTER_NN_LAYER(kReduceL2, translate_reduce_family)
OCML_REGISTER_NN_LAYER(kReduceMax, translate_reduce_family)
OCML_REGISTER_NN_LAYER(kReduceMin, translate_reduce_family)
OCML_REGISTER_NN_LAYER(kReduceSum, translate_reduce_family)
OCML_REGISTER_NN_LAYER(kReduceProd, translate_reduce_family)
OCML_REGISTER_NN_LAYER(kReduceMean, translate_reduce_family)
OCML_REGISTER_NN_LAYER(kReduceLogSum, translate_reduce_family)
OCML_REGISTER_NN_LAYER(kReduceSumSquare, translate_reduce_family)
OCML_REGISTER_NN_LAYER(kReduceLogSumExp, translate_reduce_family)
OCML_REGISTER_NN_LAYER(kArgMax, translate_arg)
OCML_REGISTER_NN_LAYER(kArgMin, translate_arg)
OCML_REGISTER_NN_LAYER(kTopK, translate_topk)
OCML_REGISTER_NN_LAYER(kArgSort, translate_argsort)

}  // namespace opencoreml::nn
