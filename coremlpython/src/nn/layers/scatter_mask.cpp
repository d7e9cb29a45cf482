// opencoreml neural networks: layers that write into or mask parts of blobs — scatter,
// scatterND, scatterAlongAxis (with their seven accumulation modes), oneHot, matrixBandPart,
// lowerTriangular / upperTriangular, reverseSeq and slidingWindows. Index blobs are floats in
// NN and int32 in MIL.
#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;

std::string scatter_mode(const LayerContext& ctx, spec::ScatterMode mode) {
    static const char* names[] = {"update", "add", "sub", "mul", "div", "max", "min"};
    if (mode < 0 || mode > 6) ctx.fail("unknown scatter mode " + std::to_string(mode));
    return names[mode];
}

Var scatter(LayerContext& ctx, const std::string& op, spec::ScatterMode mode, const int64_t* axis) {
    ctx.require(3, 3, 1);
    const Var& data = ctx.in(0);
    MilWriter& w = ctx.writer();
    std::vector<Arg> args{{"data", data}, {"indices", cast(ctx, ctx.in(1), DType::Int32)}, {"updates", ctx.in(2)},
                          {"mode", w.string(scatter_mode(ctx, mode))}};
    if (axis) args.emplace_back("axis", w.int_scalar(normalize_axis(ctx, *axis, data.rank())));
    return ctx.op(op, args, {DType::Float32, data.shape});
}

void translate_scatter(LayerContext& ctx) {
    const auto& p = ctx.layer().scatter();
    const int64_t axis = p.axis();
    ctx.set_out(0, scatter(ctx, "scatter", p.mode(), &axis));
}

void translate_scatter_nd(LayerContext& ctx) { ctx.set_out(0, scatter(ctx, "scatter_nd", ctx.layer().scatternd().mode(), nullptr)); }

void translate_scatter_along_axis(LayerContext& ctx) {
    const auto& p = ctx.layer().scatteralongaxis();
    const int64_t axis = p.axis();
    ctx.set_out(0, scatter(ctx, "scatter_along_axis", p.mode(), &axis));
}

void translate_one_hot(LayerContext& ctx) {
    ctx.require(1, 2, 1);
    const auto& p = ctx.layer().onehot();
    const Var& idx = ctx.in(0);
    MilWriter& w = ctx.writer();
    const int64_t axis = normalize_axis(ctx, p.axis(), idx.rank() + 1);
    const Var size = ctx.input_count() == 2 ? reshape(ctx, cast(ctx, ctx.in(1), DType::Int32), std::vector<int64_t>{})
                                            : w.int_scalar(static_cast<int64_t>(p.onehotvectorsize()));
    Shape out = idx.shape;
    out.insert(out.begin() + axis, ctx.input_count() == 2 ? -1 : static_cast<int64_t>(p.onehotvectorsize()));
    ctx.set_out(0, ctx.op("one_hot",
                          {{"indices", cast(ctx, idx, DType::Int32)}, {"one_hot_vector_size", size}, {"axis", w.int_scalar(axis)},
                           {"on_value", w.float_scalar(p.onvalue())}, {"off_value", w.float_scalar(p.offvalue())}},
                          {DType::Float32, out}));
}

Var band_part(LayerContext& ctx, int64_t lower, int64_t upper) {
    const Var& x = ctx.in();
    if (x.rank() < 2) ctx.fail("needs an input of rank 2 or more");
    MilWriter& w = ctx.writer();
    return same_shape(ctx, "band_part", x, {{"lower", w.int_scalar(lower)}, {"upper", w.int_scalar(upper)}});
}

void translate_matrix_band_part(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().matrixbandpart();
    ctx.set_out(0, band_part(ctx, p.numlower(), p.numupper()));
}

// Triangles with any diagonal offset k: a band when one side is unbounded, else a constant
// mask over the (load-time known) last two dims.
void translate_triangular(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const bool lower = ctx.layer().layer_case() == spec::NeuralNetworkLayer::kLowerTriangular;
    const int64_t k = lower ? ctx.layer().lowertriangular().k() : ctx.layer().uppertriangular().k();
    // Lower keeps column - row <= k; upper keeps column - row >= k.
    if (lower && k >= 0) return ctx.set_out(0, band_part(ctx, -1, k));
    if (!lower && k <= 0) return ctx.set_out(0, band_part(ctx, -k, -1));
    const Var& x = ctx.in();
    if (x.rank() < 2) ctx.fail("needs an input of rank 2 or more");
    const int64_t rows = x.dim(-2), cols = x.dim(-1);
    if (rows < 0 || cols < 0) ctx.unsupported("this diagonal offset on a matrix whose size is only known at run time");
    Tensor mask = Tensor::empty(DType::Bool, {rows, cols});
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) mask.data<bool>()[r * cols + c] = lower ? c - r <= k : c - r >= k;
    MilWriter& w = ctx.writer();
    ctx.set_out(0, ctx.op("select", {{"cond", w.constant(mask)}, {"a", x}, {"b", w.float_scalar(0.0f)}}, {DType::Float32, x.shape}));
}

void translate_reverse_seq(LayerContext& ctx) {
    ctx.require(2, 2, 1);
    const auto& p = ctx.layer().reverseseq();
    const Var& x = ctx.in(0);
    MilWriter& w = ctx.writer();
    ctx.set_out(0, ctx.op("reverse_sequence",
                          {{"x", x}, {"lengths", cast(ctx, ctx.in(1), DType::Int32)},
                           {"seq_axis", w.int_scalar(normalize_axis(ctx, p.sequenceaxis(), x.rank()))},
                           {"batch_axis", w.int_scalar(normalize_axis(ctx, p.batchaxis(), x.rank()))}},
                          {DType::Float32, x.shape}));
}

void translate_sliding_windows(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().slidingwindows();
    const Var& x = ctx.in();
    const int64_t a = normalize_axis(ctx, p.axis(), x.rank());
    const int64_t size = static_cast<int64_t>(p.windowsize()), step = p.step() ? static_cast<int64_t>(p.step()) : 1;
    Shape out = x.shape;
    out[static_cast<size_t>(a)] = x.dim(a) < 0 ? -1 : (x.dim(a) - size) / step + 1;
    out.insert(out.begin() + a + 1, size);
    MilWriter& w = ctx.writer();
    ctx.set_out(0, ctx.op("sliding_windows", {{"x", x}, {"axis", w.int_scalar(a)}, {"size", w.int_scalar(size)},
                                              {"stride", w.int_scalar(step)}},
                          {DType::Float32, out}));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kScatter, translate_scatter)
OCML_REGISTER_NN_LAYER(kScatterND, translate_scatter_nd)
OCML_REGISTER_NN_LAYER(kScatterAlongAxis, translate_scatter_along_axis)
OCML_REGISTER_NN_LAYER(kOneHot, translate_one_hot)
OCML_REGISTER_NN_LAYER(kMatrixBandPart, translate_matrix_band_part)
OCML_REGISTER_NN_LAYER(kLowerTriangular, translate_triangular)
OCML_REGISTER_NN_LAYER(kUpperTriangular, translate_triangular)
OCML_REGISTER_NN_LAYER(kReverseSeq, translate_reverse_seq)
OCML_REGISTER_NN_LAYER(kSlidingWindows, translate_sliding_windows)

}  // namespace opencoreml::nn
