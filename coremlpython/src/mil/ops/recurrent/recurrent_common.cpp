// opencoreml ML program ops: shared pieces of the recurrent kernels (see recurrent_common.hpp).
#include "mil/ops/recurrent/recurrent_common.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "kernels/gemm.hpp"
#include "kernels/vec_gemv.hpp"
#include "kernels/vec_math.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil::recurrent {

// Up to this many rows the recurrent product runs as matrix-vector products (each reads the
// weights once more; past a few rows sgemm's blocking wins).
constexpr int64_t kGemvRows = 4;

Activation parse_activation(const BuildContext& ctx, const std::string& param, const std::string& fallback) {
    std::string name = ctx.const_string(param, fallback);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "sigmoid") return Activation::Sigmoid;
    if (name == "tanh") return Activation::Tanh;
    if (name == "relu") return Activation::Relu;
    if (name == "linear") return Activation::Linear;
    if (name == "hard_sigmoid" || name == "sigmoid_hard") return Activation::HardSigmoid;
    if (name == "scaled_tanh") return Activation::ScaledTanh;
    ctx.fail(param + " \"" + name + "\" is not one of sigmoid, tanh, relu, linear, hard_sigmoid, scaled_tanh");
}

void apply_activation(Activation f, float* v, int64_t n) {
    switch (f) {
        case Activation::Sigmoid: kernels::vm::sigmoid(v, v, n); break;
        case Activation::Tanh:
        case Activation::ScaledTanh: kernels::vm::tanh(v, v, n); break;
        case Activation::Relu:
            for (int64_t i = 0; i < n; ++i) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
            break;
        case Activation::Linear: break;
        case Activation::HardSigmoid:
            for (int64_t i = 0; i < n; ++i) v[i] = std::min(1.0f, std::max(0.0f, 0.2f * v[i] + 0.5f));
            break;
    }
}

Direction parse_direction(const BuildContext& ctx, bool allow_bidirectional) {
    const std::string d = ctx.const_string("direction", "forward");
    if (d == "forward") return Direction::Forward;
    if (d == "reverse") return Direction::Reverse;
    if (d == "bidirectional" && allow_bidirectional) return Direction::Bidirectional;
    ctx.fail("direction \"" + d + "\" is not supported (expected forward" +
             std::string(allow_bidirectional ? ", reverse or bidirectional)" : " or reverse)"));
}

WeightT load_weight(const BuildContext& ctx, const std::string& param, int64_t rows, int64_t cols) {
    const Tensor& t = ctx.const_tensor(param);
    if (t.rank() != 2 || (rows >= 0 && t.dim(0) != rows) || (cols >= 0 && t.dim(1) != cols)) {
        ctx.fail(param + " must have shape [" + (rows >= 0 ? std::to_string(rows) : std::string("?")) + ", " +
                 (cols >= 0 ? std::to_string(cols) : std::string("?")) + "], got " + shape_to_string(t.shape()));
    }
    const std::vector<float> w = ctx.const_floats(param);
    WeightT out;
    out.out = t.dim(0);
    out.in = t.dim(1);
    out.t.resize(w.size());
    for (int64_t r = 0; r < out.out; ++r)
        for (int64_t c = 0; c < out.in; ++c) out.t[c * out.out + r] = w[r * out.in + c];
    return out;
}

RecurrentSizes recurrent_sizes(const BuildContext& ctx, int64_t gates) {
    const std::string g = gates == 1 ? "" : std::to_string(gates) + "*";
    const Tensor& whh = ctx.const_tensor("weight_hh");
    if (whh.rank() != 2 || whh.dim(1) <= 0 || whh.dim(0) != gates * whh.dim(1))
        ctx.fail("weight_hh must have shape [" + g + "H, H], got " + shape_to_string(whh.shape()));
    const Tensor& wih = ctx.const_tensor("weight_ih");
    if (wih.rank() != 2 || wih.dim(0) != whh.dim(0))
        ctx.fail("weight_ih must have shape [" + g + "H, I], got " + shape_to_string(wih.shape()));
    return {whh.dim(1), wih.dim(1)};
}

std::vector<float> load_vector(const BuildContext& ctx, const std::string& param, int64_t size) {
    if (!ctx.has_input(param)) return std::vector<float>(static_cast<size_t>(size), 0.0f);
    std::vector<float> v = ctx.const_floats(param);
    if (static_cast<int64_t>(v.size()) != size)
        ctx.fail(param + " must hold " + std::to_string(size) + " values, got " + std::to_string(v.size()));
    return v;
}

void project_rows(const float* x, int64_t rows, const WeightT& w, const float* bias, float* y, ThreadPool& pool) {
    for (int64_t r = 0; r < rows; ++r) std::memcpy(y + r * w.out, bias, w.out * sizeof(float));
    kernels::GemmArgs<float> g;
    g.M = rows;
    g.N = w.out;
    g.K = w.in;
    g.A = x;
    g.lda = w.in;
    g.B = w.t.data();
    g.ldb = w.out;
    g.C = y;
    g.ldc = w.out;
    g.accumulate = true;
    kernels::sgemm(g, &pool);
}

void accumulate_product(const float* h, int64_t rows, const WeightT& w, int64_t col0, int64_t col1, float* y,
                        int64_t ldy, ThreadPool& pool) {
    if (rows <= kGemvRows) {
        // A few rows (batch 1 in the common case): one matrix-vector product per row. BLAS
        // sgemm with M = 1 costs several times more in packing and dispatch than the work.
        for (int64_t r = 0; r < rows; ++r)
            kernels::gemv_accumulate(h + r * w.in, w.in, w.t.data() + col0, w.out, col1 - col0, y + r * ldy);
        return;
    }
    kernels::GemmArgs<float> g;
    g.M = rows;
    g.N = col1 - col0;
    g.K = w.in;
    g.A = h;
    g.lda = w.in;
    g.B = w.t.data() + col0;
    g.ldb = w.out;
    g.C = y;
    g.ldc = ldy;
    g.accumulate = true;
    kernels::sgemm(g, &pool);
}

void check_sequence_input(RunContext& ctx, const Tensor& x, int64_t input_size) {
    if (x.rank() != 3 || x.dim(2) != input_size)
        ctx.fail("input x must have shape [sequence, batch, " + std::to_string(input_size) + "], got " + shape_to_string(x.shape()));
}

void check_state(RunContext& ctx, const char* name, const Tensor& state, int64_t batch, int64_t width) {
    if (state.numel() != batch * width)
        ctx.fail(std::string(name) + " must have shape [" + std::to_string(batch) + ", " + std::to_string(width) + "], got " +
                 shape_to_string(state.shape()));
}

}  // namespace opencoreml::mil::recurrent
