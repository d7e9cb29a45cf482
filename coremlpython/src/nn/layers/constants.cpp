// opencoreml neural networks: layers that produce values without reading their inputs' values —
// loadConstant ([1, 1, C, H, W]), loadConstantND, fillStatic / fillLike, rangeStatic — as
// program constants (or a fill shaped like the input).
#include <algorithm>
#include <cmath>

#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

void translate_load_constant(LayerContext& ctx) {
    ctx.require(0, 0, 1);
    const auto& p = ctx.layer().loadconstant();
    if (p.shape_size() != 3) ctx.fail("shape must have 3 values [C, H, W], got " + std::to_string(p.shape_size()));
    const Shape shape{1, 1, static_cast<int64_t>(p.shape(0)), static_cast<int64_t>(p.shape(1)), static_cast<int64_t>(p.shape(2))};
    ctx.set_out(0, ctx.weight_const(p.data(), shape, "data"));
}

void translate_load_constant_nd(LayerContext& ctx) {
    ctx.require(0, 0, 1);
    const auto& p = ctx.layer().loadconstantnd();
    if (p.shape_size() == 0) ctx.fail("has no shape");
    ctx.set_out(0, ctx.weight_const(p.data(), Shape(p.shape().begin(), p.shape().end()), "data"));
}

void translate_fill_static(LayerContext& ctx) {
    ctx.require(0, 0, 1);
    const auto& p = ctx.layer().fillstatic();
    Tensor t = Tensor::empty(DType::Float32, Shape(p.targetshape().begin(), p.targetshape().end()));
    std::fill(t.data<float>(), t.data<float>() + t.numel(), p.value());
    ctx.set_out(0, ctx.writer().constant(t));
}

void translate_fill_like(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& ref = ctx.in();
    ctx.set_out(0, ctx.op("fill_like", {{"ref_tensor", ref}, {"value", ctx.writer().float_scalar(ctx.layer().filllike().value())}},
                          {DType::Float32, ref.shape}));
}

void translate_range_static(LayerContext& ctx) {
    ctx.require(0, 0, 1);
    const auto& p = ctx.layer().rangestatic();
    if (p.stepsizevalue() == 0.0f) ctx.fail("stepSizeValue must not be 0");
    const double span = (static_cast<double>(p.endvalue()) - p.startvalue()) / p.stepsizevalue();
    const int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(span)));
    Tensor t = Tensor::empty(DType::Float32, {n});
    for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = p.startvalue() + static_cast<float>(i) * p.stepsizevalue();
    ctx.set_out(0, ctx.writer().constant(t));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kLoadConstant, translate_load_constant)
OCML_REGISTER_NN_LAYER(kLoadConstantND, translate_load_constant_nd)
OCML_REGISTER_NN_LAYER(kFillStatic, translate_fill_static)
OCML_REGISTER_NN_LAYER(kFillLike, translate_fill_like)
OCML_REGISTER_NN_LAYER(kRangeStatic, translate_range_static)

}  // namespace opencoreml::nn
