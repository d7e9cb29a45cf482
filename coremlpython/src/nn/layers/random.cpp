// opencoreml neural networks: random layers — normal, uniform and Bernoulli samples shaped by
// a parameter (Static), another blob (Like) or a shape blob (Dynamic), and
// categoricalDistribution — as the MIL random ops, which draw new values at every predict.
// A seed other than -1 makes the stream reproducible; the numbers are this runtime's own.
#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;
using L = spec::NeuralNetworkLayer;

// The shape argument and output shape of a random layer of any of the three variants.
template <class Params>
std::pair<Var, Shape> sample_shape(LayerContext& ctx, const Params& static_params, bool is_static, bool is_like) {
    MilWriter& w = ctx.writer();
    if (is_static) {
        ctx.require(0, 0, 1);
        const Shape shape(static_params.outputshape().begin(), static_params.outputshape().end());
        return {w.ints(std::vector<int64_t>(shape.begin(), shape.end())), shape};
    }
    ctx.require(1, 1, 1);
    const Var& in = ctx.in();
    if (is_like) return {ctx.op("shape", {{"x", in}}, {DType::Int32, {in.rank()}}), in.shape};
    if (in.rank() != 1 || in.dim(0) < 0) ctx.unsupported("a shape input whose length is only known at run time");
    return {cast(ctx, in, DType::Int32), Shape(static_cast<size_t>(in.dim(0)), -1)};
}

template <class Params>
void emit(LayerContext& ctx, const std::string& op, const Params& p, const std::pair<Var, Shape>& shape, std::vector<Arg> args) {
    args.emplace_back("shape", shape.first);
    args.emplace_back("seed", ctx.writer().int_scalar(p.seed()));
    ctx.set_out(0, ctx.op(op, args, {DType::Float32, shape.second}));
}

void translate_random_normal(LayerContext& ctx) {
    const Layer& l = ctx.layer();
    MilWriter& w = ctx.writer();
    auto run = [&](const auto& p, bool is_static, bool is_like) {
        emit(ctx, "random_normal", p, sample_shape(ctx, l.randomnormalstatic(), is_static, is_like),
             {{"mean", w.float_scalar(p.mean())}, {"stddev", w.float_scalar(p.stddev())}});
    };
    if (l.layer_case() == L::kRandomNormalStatic) run(l.randomnormalstatic(), true, false);
    else if (l.layer_case() == L::kRandomNormalLike) run(l.randomnormallike(), false, true);
    else run(l.randomnormaldynamic(), false, false);
}

void translate_random_uniform(LayerContext& ctx) {
    const Layer& l = ctx.layer();
    MilWriter& w = ctx.writer();
    auto run = [&](const auto& p, bool is_static, bool is_like) {
        emit(ctx, "random_uniform", p, sample_shape(ctx, l.randomuniformstatic(), is_static, is_like),
             {{"low", w.float_scalar(p.minval())}, {"high", w.float_scalar(p.maxval())}});
    };
    if (l.layer_case() == L::kRandomUniformStatic) run(l.randomuniformstatic(), true, false);
    else if (l.layer_case() == L::kRandomUniformLike) run(l.randomuniformlike(), false, true);
    else run(l.randomuniformdynamic(), false, false);
}

void translate_random_bernoulli(LayerContext& ctx) {
    const Layer& l = ctx.layer();
    MilWriter& w = ctx.writer();
    auto run = [&](const auto& p, bool is_static, bool is_like) {
        emit(ctx, "random_bernoulli", p, sample_shape(ctx, l.randombernoullistatic(), is_static, is_like),
             {{"prob", w.float_scalar(p.prob())}});
    };
    if (l.layer_case() == L::kRandomBernoulliStatic) run(l.randombernoullistatic(), true, false);
    else if (l.layer_case() == L::kRandomBernoulliLike) run(l.randombernoullilike(), false, true);
    else run(l.randombernoullidynamic(), false, false);
}

// Samples class indices along the last axis; logits are divided by the temperature first.
void translate_categorical(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().categoricaldistribution();
    MilWriter& w = ctx.writer();
    Var x = ctx.in();
    const float temperature = p.temperature() == 0.0f ? 1.0f : p.temperature();
    if (p.islogits() && temperature != 1.0f) x = binary(ctx, "real_div", x, w.float_scalar(temperature));
    Shape out = x.shape;
    out.back() = p.numsamples();
    ctx.set_out(0, ctx.op("random_categorical",
                          {{"x", x}, {"mode", w.string(p.islogits() ? "logits" : "probs")},
                           {"size", w.int_scalar(p.numsamples())}, {"seed", w.int_scalar(p.seed())}},
                          {DType::Float32, out}));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kRandomNormalStatic, translate_random_normal)
OCML_REGISTER_NN_LAYER(kRandomNormalLike, translate_random_normal)
OCML_REGISTER_NN_LAYER(kRandomNormalDynamic, translate_random_normal)
OCML_REGISTER_NN_LAYER(kRandomUniformStatic, translate_random_uniform)
OCML_REGISTER_NN_LAYER(kRandomUniformLike, translate_random_uniform)
OCML_REGISTER_NN_LAYER(kRandomUniformDynamic, translate_random_uniform)
OCML_REGISTER_NN_LAYER(kRandomBernoulliStatic, translate_random_bernoulli)
OCML_REGISTER_NN_LAYER(kRandomBernoulliLike, translate_random_bernoulli)
OCML_REGISTER_NN_LAYER(kRandomBernoulliDynamic, translate_random_bernoulli)
OCML_REGISTER_NN_LAYER(kCategoricalDistribution, translate_categorical)

}  // namespace opencoreml::nn
