// opencoreml neural networks: elementwise layers. The variadic classic layers (add, multiply,
// average, max, min; a single input combines with the scalar alpha) fold their inputs
// left to right; the *Broadcastable layers, comparisons (1.0 / 0.0 results), logical layers
// (non-zero is true), whereBroadcastable and the unary math layers map to the MIL op of the
// same formula with numpy broadcasting.
#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;
using L = spec::NeuralNetworkLayer;

Var fold_inputs(LayerContext& ctx, const std::string& op) {
    Var acc = ctx.in(0);
    for (size_t i = 1; i < ctx.input_count(); ++i) acc = binary(ctx, op, acc, ctx.in(i));
    return acc;
}

// A single input combines with the layer's scalar alpha; several fold left to right.
void fold_or_alpha(LayerContext& ctx, const std::string& op, float alpha) {
    ctx.require(1, -1, 1);
    ctx.set_out(0, ctx.input_count() == 1 ? binary(ctx, op, ctx.in(), ctx.writer().float_scalar(alpha))
                                          : fold_inputs(ctx, op));
}

void translate_add(LayerContext& ctx) { fold_or_alpha(ctx, "add", ctx.layer().add().alpha()); }

void translate_multiply(LayerContext& ctx) { fold_or_alpha(ctx, "mul", ctx.layer().multiply().alpha()); }

void translate_average(LayerContext& ctx) {
    ctx.require(1, -1, 1);
    const float inv = 1.0f / static_cast<float>(ctx.input_count());
    ctx.set_out(0, binary(ctx, "mul", fold_inputs(ctx, "add"), ctx.writer().float_scalar(inv)));
}

template <const char* Op>
void translate_fold(LayerContext& ctx) {
    ctx.require(1, -1, 1);
    ctx.set_out(0, fold_inputs(ctx, Op));
}

constexpr char kAdd[] = "add", kSub[] = "sub", kMul[] = "mul", kDiv[] = "real_div", kMax[] = "maximum",
               kMin[] = "minimum", kPow[] = "pow", kMod[] = "mod", kFloorDiv[] = "floor_div";

template <const char* Op>
void translate_broadcastable(LayerContext& ctx) {
    ctx.require(2, 2, 1);
    ctx.set_out(0, binary(ctx, Op, ctx.in(0), ctx.in(1)));
}

// Comparisons: against the second input, or against alpha when there is one input.
template <const char* Op>
void translate_compare(LayerContext& ctx) {
    ctx.require(1, 2, 1);
    float alpha = 0.0f;
    switch (ctx.layer().layer_case()) {
        case L::kEqual: alpha = ctx.layer().equal().alpha(); break;
        case L::kNotEqual: alpha = ctx.layer().notequal().alpha(); break;
        case L::kLessThan: alpha = ctx.layer().lessthan().alpha(); break;
        case L::kLessEqual: alpha = ctx.layer().lessequal().alpha(); break;
        case L::kGreaterThan: alpha = ctx.layer().greaterthan().alpha(); break;
        case L::kGreaterEqual: alpha = ctx.layer().greaterequal().alpha(); break;
        default: break;
    }
    const Var rhs = ctx.input_count() == 2 ? ctx.in(1) : ctx.writer().float_scalar(alpha);
    ctx.set_out(0, as_float(ctx, binary(ctx, Op, ctx.in(0), rhs, DType::Bool)));
}

constexpr char kEq[] = "equal", kNe[] = "not_equal", kLt[] = "less", kLe[] = "less_equal", kGt[] = "greater",
               kGe[] = "greater_equal", kAnd[] = "logical_and", kOr[] = "logical_or", kXor[] = "logical_xor";

template <const char* Op>
void translate_logical(LayerContext& ctx) {
    ctx.require(2, 2, 1);
    const Var a = cast(ctx, ctx.in(0), DType::Bool), b = cast(ctx, ctx.in(1), DType::Bool);
    ctx.set_out(0, as_float(ctx, binary(ctx, Op, a, b, DType::Bool)));
}

void translate_logical_not(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    ctx.set_out(0, as_float(ctx, same_shape(ctx, "logical_not", cast(ctx, ctx.in(), DType::Bool))));
}

void translate_where(LayerContext& ctx) {
    ctx.require(3, 3, 1);
    const Var cond = cast(ctx, ctx.in(0), DType::Bool);
    const Shape out = broadcast_shape(broadcast_shape(cond.shape, ctx.in(1).shape), ctx.in(2).shape);
    ctx.set_out(0, ctx.op("select", {{"cond", cond}, {"a", ctx.in(1)}, {"b", ctx.in(2)}}, {DType::Float32, out}));
}

template <const char* Op>
void translate_unary_math(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    ctx.set_out(0, same_shape(ctx, Op, ctx.in()));
}

constexpr char kCeil[] = "ceil", kFloor[] = "floor", kSign[] = "sign", kRound[] = "round", kExp2[] = "exp2",
               kSin[] = "sin", kCos[] = "cos", kTan[] = "tan", kAsin[] = "asin", kAcos[] = "acos", kAtan[] = "atan",
               kSinh[] = "sinh", kCosh[] = "cosh", kTanh[] = "tanh", kAtanh[] = "atanh", kErf[] = "erf";

// asinh(x) = log(x + sqrt(x^2 + 1)), acosh(x) = log(x + sqrt(x^2 - 1)): MIL has no such ops.
void translate_inverse_hyperbolic(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    const float shift = ctx.layer().layer_case() == L::kAsinh ? 1.0f : -1.0f;
    const Var root = same_shape(ctx, "sqrt", binary(ctx, "add", same_shape(ctx, "square", x), ctx.writer().float_scalar(shift)));
    ctx.set_out(0, same_shape(ctx, "log", binary(ctx, "add", x, root)));
}

void translate_clip(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().clip();
    MilWriter& w = ctx.writer();
    ctx.set_out(0, same_shape(ctx, "clip", ctx.in(), {{"alpha", w.float_scalar(p.minval())}, {"beta", w.float_scalar(p.maxval())}}));
}

// unary: x <- scale * x + shift, then the function.
void translate_unary(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().unary();
    MilWriter& w = ctx.writer();
    const float scale = p.scale() == 0.0f ? 1.0f : p.scale();
    const float epsilon = p.epsilon() == 0.0f ? 1e-6f : p.epsilon();
    Var x = ctx.in();
    if (scale != 1.0f) x = binary(ctx, "mul", x, w.float_scalar(scale));
    if (p.shift() != 0.0f) x = binary(ctx, "add", x, w.float_scalar(p.shift()));
    using U = spec::UnaryFunctionLayerParams;
    switch (p.type()) {
        case U::SQRT: x = same_shape(ctx, "sqrt", x); break;
        case U::RSQRT: x = same_shape(ctx, "rsqrt", x, {{"epsilon", w.float_scalar(epsilon)}}); break;
        case U::INVERSE: x = same_shape(ctx, "inverse", x, {{"epsilon", w.float_scalar(epsilon)}}); break;
        case U::POWER: x = binary(ctx, "pow", x, w.float_scalar(p.alpha())); break;
        case U::EXP: x = same_shape(ctx, "exp", x); break;
        case U::LOG: x = same_shape(ctx, "log", x, {{"epsilon", w.float_scalar(0.0f)}}); break;
        case U::ABS: x = same_shape(ctx, "abs", x); break;
        case U::THRESHOLD: x = binary(ctx, "maximum", x, w.float_scalar(p.alpha())); break;
        default: ctx.fail("unknown unary function " + std::to_string(static_cast<int>(p.type())));
    }
    ctx.set_out(0, x);
}

// A constant of shape [1], [C], [1, H, W] or [C, H, W] broadcast against [.., C, H, W].
Var channel_constant(LayerContext& ctx, const spec::WeightParams& w, const google::protobuf::RepeatedField<uint64_t>& dims,
                     const std::string& what) {
    Shape shape(dims.begin(), dims.end());
    if (shape.empty()) shape = {1};
    if (shape.size() != 1 && shape.size() != 3)
        ctx.fail(what + " shape must be [1], [C], [1, H, W] or [C, H, W], got " + shape_to_string(shape));
    Tensor t = ctx.weights(w, shape, what);
    if (shape.size() == 1 && shape[0] != 1) t = t.reshaped({shape[0], 1, 1});
    return ctx.writer().constant(t);
}

void translate_scale(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().scale();
    Var y = binary(ctx, "mul", ctx.in(), channel_constant(ctx, p.scale(), p.shapescale(), "scale"));
    if (p.hasbias()) y = binary(ctx, "add", y, channel_constant(ctx, p.bias(), p.shapebias(), "bias"));
    ctx.set_out(0, y);
}

void translate_bias(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().bias();
    ctx.set_out(0, binary(ctx, "add", ctx.in(), channel_constant(ctx, p.bias(), p.shape(), "bias")));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kAdd, translate_add)
OCML_REGISTER_NN_LAYER(kMultiply, translate_multiply)
OCML_REGISTER_NN_LAYER(kAverage, translate_average)
OCML_REGISTER_NN_LAYER(kMax, translate_fold<kMax>)
OCML_REGISTER_NN_LAYER(kMin, translate_fold<kMin>)
OCML_REGISTER_NN_LAYER(kAddBroadcastable, translate_broadcastable<kAdd>)
OCML_REGISTER_NN_LAYER(kSubtractBroadcastable, translate_broadcastable<kSub>)
OCML_REGISTER_NN_LAYER(kMultiplyBroadcastable, translate_broadcastable<kMul>)
OCML_REGISTER_NN_LAYER(kDivideBroadcastable, translate_broadcastable<kDiv>)
OCML_REGISTER_NN_LAYER(kMaxBroadcastable, translate_broadcastable<kMax>)
OCML_REGISTER_NN_LAYER(kMinBroadcastable, translate_broadcastable<kMin>)
OCML_REGISTER_NN_LAYER(kPowBroadcastable, translate_broadcastable<kPow>)
OCML_REGISTER_NN_LAYER(kModBroadcastable, translate_broadcastable<kMod>)
OCML_REGISTER_NN_LAYER(kFloorDivBroadcastable, translate_broadcastable<kFloorDiv>)
OCML_REGISTER_NN_LAYER(kEqual, translate_compare<kEq>)
OCML_REGISTER_NN_LAYER(kNotEqual, translate_compare<kNe>)
OCML_REGISTER_NN_LAYER(kLessThan, translate_compare<kLt>)
OCML_REGISTER_NN_LAYER(kLessEqual, translate_compare<kLe>)
OCML_REGISTER_NN_LAYER(kGreaterThan, translate_compare<kGt>)
OCML_REGISTER_NN_LAYER(kGreaterEqual, translate_compare<kGe>)
OCML_REGISTER_NN_LAYER(kLogicalAnd, translate_logical<kAnd>)
OCML_REGISTER_NN_LAYER(kLogicalOr, translate_logical<kOr>)
OCML_REGISTER_NN_LAYER(kLogicalXor, translate_logical<kXor>)
OCML_REGISTER_NN_LAYER(kLogicalNot, translate_logical_not)
OCML_REGISTER_NN_LAYER(kWhereBroadcastable, translate_where)
OCML_REGISTER_NN_LAYER(kCeil, translate_unary_math<kCeil>)
OCML_REGISTER_NN_LAYER(kFloor, translate_unary_math<kFloor>)
OCML_REGISTER_NN_LAYER(kSign, translate_unary_math<kSign>)
OCML_REGISTER_NN_LAYER(kRound, translate_unary_math<kRound>)
OCML_REGISTER_NN_LAYER(kExp2, translate_unary_math<kExp2>)
OCML_REGISTER_NN_LAYER(kSin, translate_unary_math<kSin>)
OCML_REGISTER_NN_LAYER(kCos, translate_unary_math<kCos>)
OCML_REGISTER_NN_LAYER(kTan, translate_unary_math<kTan>)
OCML_REGISTER_NN_LAYER(kAsin, translate_unary_math<kAsin>)
OCML_REGISTER_NN_LAYER(kAcos, translate_unary_math<kAcos>)
OCML_REGISTER_NN_LAYER(kAtan, translate_unary_math<kAtan>)
OCML_REGISTER_NN_LAYER(kSinh, translate_unary_math<kSinh>)
OCML_REGISTER_NN_LAYER(kCosh, translate_unary_math<kCosh>)
OCML_REGISTER_NN_LAYER(kTanh, translate_unary_math<kTanh>)
OCML_REGISTER_NN_LAYER(kAtanh, translate_unary_math<kAtanh>)
OCML_REGISTER_NN_LAYER(kErf, translate_unary_math<kErf>)
OCML_REGISTER_NN_LAYER(kAsinh, translate_inverse_hyperbolic)
OCML_REGISTER_NN_LAYER(kAcosh, translate_inverse_hyperbolic)
OCML_REGISTER_NN_LAYER(kClip, translate_clip)
OCML_REGISTER_NN_LAYER(kUnary, translate_unary)
OCML_REGISTER_NN_LAYER(kScale, translate_scale)
OCML_REGISTER_NN_LAYER(kBias, translate_bias)

}  // namespace opencoreml::nn
