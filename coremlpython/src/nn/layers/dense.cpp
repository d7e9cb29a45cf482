// opencoreml neural networks: dense layers — innerProduct (with its rank rules: rank 4 and 5
// inputs are flattened over [C, H, W] and come back as [.., C_out, 1, 1]), batchedMatmul
// (constant weights or two inputs), and the embedding look-ups (embedding, embeddingND) as a
// gather of rows of the transposed table. int8DynamicQuantize layers quantize their input at
// run time as Core ML does (nn_int8_linear, nn/ops/nn_int8_linear.cpp).
#include <cstring>

#include "nn/emit.hpp"
#include "nn/weights.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;

Tensor transposed(const Tensor& m) {
    const int64_t rows = m.dim(0), cols = m.dim(1);
    Tensor t = Tensor::empty(DType::Float32, {cols, rows});
    const float* src = m.data<float>();
    float* dst = t.data<float>();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
    return t;
}

std::vector<Arg> linear_args(LayerContext& ctx, const Var& x, const spec::WeightParams& weights, bool has_bias,
                             const spec::WeightParams& bias, int64_t d_out, int64_t d_in) {
    std::vector<Arg> args{{"x", x}, {"weight", ctx.weight_const(weights, {d_out, d_in}, "weights")}};
    if (has_bias) args.emplace_back("bias", ctx.weight_const(bias, {d_out}, "bias"));
    return args;
}

// x times the layer's weights ([d_out, d_in] as linear takes them) plus the bias, with output
// shape `out`: MIL linear, or nn_int8_linear for an int8DynamicQuantize layer (int8 weights
// with one scale, no bias: what Core ML requires of those layers).
Var dense(LayerContext& ctx, const Var& x, const spec::WeightParams& weights, bool has_bias, const spec::WeightParams& bias,
          int64_t d_out, int64_t d_in, bool int8_dynamic, const Shape& out) {
    if (!int8_dynamic) return ctx.op("linear", linear_args(ctx, x, weights, has_bias, bias, d_out, d_in), {DType::Float32, out});
    if (has_bias) ctx.fail("int8DynamicQuantize requires hasBias = false");
    const std::string& raw = weights.int8rawvalue();
    if (static_cast<int64_t>(raw.size()) != d_out * d_in)
        ctx.fail("int8DynamicQuantize needs " + std::to_string(d_out * d_in) + " int8 weights in int8RawValue, got " +
                 std::to_string(raw.size()) + " bytes");
    const auto& q = weights.quantization();
    if (q.numberofbits() != 8 || !q.has_linearquantization() || q.linearquantization().scale_size() != 1 ||
        q.linearquantization().bias_size() != 0)
        ctx.fail("int8DynamicQuantize needs 8-bit linear quantization with one scale and no bias");
    Tensor w = Tensor::empty(DType::Int8, {d_out, d_in});
    std::memcpy(w.data<int8_t>(), raw.data(), raw.size());
    MilWriter& mw = ctx.writer();
    return ctx.op("nn_int8_linear",
                  {{"x", x}, {"weight", mw.constant(w)}, {"weight_scale", mw.float_scalar(q.linearquantization().scale(0))}},
                  {DType::Float32, out});
}

void translate_inner_product(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().innerproduct();
    const int64_t d_in = static_cast<int64_t>(p.inputchannels()), d_out = static_cast<int64_t>(p.outputchannels());
    const Var& x = ctx.in();
    const int64_t rank = x.rank();
    if (rank < 1 || rank > 5) ctx.fail("needs an input of rank 1 to 5, got rank " + std::to_string(rank));
    if (rank <= 3) {
        if (x.dim(-1) >= 0 && x.dim(-1) != d_in)
            ctx.fail("input " + shape_to_string(x.shape) + " must end with inputChannels = " + std::to_string(d_in));
        Shape out = x.shape;
        out.back() = d_out;
        ctx.set_out(0, dense(ctx, x, p.weights(), p.hasbias(), p.bias(), d_out, d_in, p.int8dynamicquantize(), out));
        return;
    }
    // Rank 4 and 5: rows are the leading one or two dims, features the last three.
    const int64_t chw = x.dim(-1) >= 0 && x.dim(-2) >= 0 && x.dim(-3) >= 0 ? x.dim(-1) * x.dim(-2) * x.dim(-3) : -1;
    if (chw >= 0 && chw != d_in)
        ctx.fail("input " + shape_to_string(x.shape) + " has " + std::to_string(chw) + " features in its last three dims, inputChannels is " +
                 std::to_string(d_in));
    const Var rows = reshape(ctx, x, {-1, d_in});
    const Var y = dense(ctx, rows, p.weights(), p.hasbias(), p.bias(), d_out, d_in, p.int8dynamicquantize(), {rows.shape[0], d_out});
    const Var y4 = reshape(ctx, y, {-1, d_out, 1, 1});
    ctx.set_out(0, rank == 4 ? y4 : keep_lead(ctx, y4, x, 2, 1));
}

void translate_batched_matmul(LayerContext& ctx) {
    ctx.require(1, 2, 1);
    const auto& p = ctx.layer().batchedmatmul();
    const Var& a = ctx.in(0);
    if (ctx.input_count() == 2) {
        if (p.int8dynamicquantize()) ctx.fail("int8DynamicQuantize requires one input (constant weights)");
        const Var& b = ctx.in(1);
        Shape out = broadcast_shape(Shape(a.shape.begin(), a.shape.end() - std::min<int64_t>(2, a.rank())),
                                    Shape(b.shape.begin(), b.shape.end() - std::min<int64_t>(2, b.rank())));
        out.push_back(a.rank() >= 2 ? (p.transposea() ? a.dim(-1) : a.dim(-2)) : 1);
        out.push_back(b.rank() >= 2 ? (p.transposeb() ? b.dim(-2) : b.dim(-1)) : 1);
        if (a.rank() < 2) out.erase(out.end() - 2);
        if (b.rank() < 2) out.pop_back();
        MilWriter& w = ctx.writer();
        ctx.set_out(0, ctx.op("matmul",
                              {{"x", a}, {"y", b}, {"transpose_x", w.bool_scalar(p.transposea())},
                               {"transpose_y", w.bool_scalar(p.transposeb())}},
                              {DType::Float32, out}));
        return;
    }
    // The weight [X1, X2] is stored column-major, i.e. as linear's [X2, X1].
    const int64_t x1 = static_cast<int64_t>(p.weightmatrixfirstdimension());
    const int64_t x2 = static_cast<int64_t>(p.weightmatrixseconddimension());
    Shape out = a.shape;
    out.back() = x2;
    ctx.set_out(0, dense(ctx, a, p.weights(), p.hasbias(), p.bias(), x2, x1, p.int8dynamicquantize(), out));
}

// Rows of `table` ([vocab, size]) picked by the float indices `ids`, plus an optional bias.
Var lookup(LayerContext& ctx, const Var& ids, const Tensor& table, const spec::WeightParams* bias) {
    MilWriter& w = ctx.writer();
    Shape out = ids.shape;
    out.push_back(table.dim(1));
    Var y = ctx.op("gather",
                   {{"x", w.constant(table)}, {"indices", cast(ctx, ids, DType::Int32)}, {"axis", w.int_scalar(0)}},
                   {DType::Float32, out});
    if (bias) y = binary(ctx, "add", y, ctx.weight_const(*bias, {table.dim(1)}, "bias"));
    return y;
}

void translate_embedding_nd(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().embeddingnd();
    const int64_t vocab = static_cast<int64_t>(p.vocabsize()), size = static_cast<int64_t>(p.embeddingsize());
    const Var& x = ctx.in();
    if (x.rank() < 1 || (x.dim(-1) >= 0 && x.dim(-1) != 1)) ctx.fail("needs an input whose last dim is 1, got " + shape_to_string(x.shape));
    const Tensor table = transposed(ctx.weights(p.weights(), {size, vocab}, "weights"));
    const Var ids = x.rank() == 1 ? x : squeeze(ctx, x, {-1});
    ctx.set_out(0, lookup(ctx, ids, table, p.hasbias() ? &p.bias() : nullptr));
}

void translate_embedding(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().embedding();
    const int64_t vocab = static_cast<int64_t>(p.inputdim()), size = static_cast<int64_t>(p.outputchannels());
    const Var& x = ctx.in();
    if (x.rank() != 4 && x.rank() != 5) ctx.fail("needs an input of rank 4 or 5 ([.., 1, 1, 1]), got rank " + std::to_string(x.rank()));
    const Tensor table = transposed(ctx.weights(p.weights(), {size, vocab}, "weights"));
    const Var y = lookup(ctx, reshape(ctx, x, {-1}), table, p.hasbias() ? &p.bias() : nullptr);
    const Var y4 = reshape(ctx, y, {-1, size, 1, 1});
    ctx.set_out(0, x.rank() == 4 ? y4 : keep_lead(ctx, y4, x, 2, 1));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kInnerProduct, translate_inner_product)
OCML_REGISTER_NN_LAYER(kBatchedMatmul, translate_batched_matmul)
OCML_REGISTER_NN_LAYER(kEmbeddingND, translate_embedding_nd)
OCML_REGISTER_NN_LAYER(kEmbedding, translate_embedding)

}  // namespace opencoreml::nn
