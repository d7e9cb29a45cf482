// opencoreml ML program op: scaled_dot_product_attention (iOS18): softmax(Q K^T / sqrt(E) +
// mask) V over the last two axes, with identical leading (batch) axes on query, key and value.
// A bool mask keeps the positions where it is true (others get -inf); a float mask is added.
// The mask broadcasts (numpy rules) to [batch..., L, S]. Computes in float32; the two products
// go through the GEMM adapter.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/gemm.hpp"
#include "kernels/vec_math.hpp"
#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil::misc {
namespace {

// Strides of `mask` read as a tensor of `shape` (broadcast axes have stride 0).
std::vector<int64_t> broadcast_strides(RunContext& ctx, const Shape& mask, const Shape& shape) {
    const size_t rank = shape.size();
    if (mask.size() > rank) ctx.fail("attn_mask of shape " + shape_to_string(mask) + " has more axes than the attention scores " + shape_to_string(shape));
    std::vector<int64_t> strides(rank, 0);
    int64_t stride = 1;
    for (size_t k = 0; k < mask.size(); ++k) {
        const size_t md = mask.size() - 1 - k, d = rank - 1 - k;
        if (mask[md] != 1 && mask[md] != shape[d])
            ctx.fail("attn_mask of shape " + shape_to_string(mask) + " does not broadcast to the attention scores " + shape_to_string(shape));
        strides[d] = mask[md] == 1 ? 0 : stride;
        stride *= mask[md];
    }
    return strides;
}

void run_sdpa(RunContext& ctx) {
    const Tensor q = ctx.input_f32("query"), k = ctx.input_f32("key"), v = ctx.input_f32("value");
    const int64_t rank = q.rank();
    if (rank < 3 || k.rank() != rank || v.rank() != rank) ctx.fail("query, key and value must have the same rank, at least 3");
    const Shape batch_dims(q.shape().begin(), q.shape().end() - 2);
    if (Shape(k.shape().begin(), k.shape().end() - 2) != batch_dims || Shape(v.shape().begin(), v.shape().end() - 2) != batch_dims)
        ctx.fail("query " + shape_to_string(q.shape()) + ", key " + shape_to_string(k.shape()) + " and value " +
                 shape_to_string(v.shape()) + " must share their leading dimensions");
    const int64_t L = q.dim(-2), E = q.dim(-1), S = k.dim(-2), EV = v.dim(-1);
    if (k.dim(-1) != E) ctx.fail("query and key must have the same embedding size");
    if (v.dim(-2) != S) ctx.fail("key and value must have the same sequence length");
    const int64_t batch = shape_numel(batch_dims);

    Shape score_shape = batch_dims;
    score_shape.push_back(L);
    score_shape.push_back(S);
    Tensor mask_f;
    std::vector<int64_t> mstride;
    bool bool_mask = false;
    const bool has_mask = ctx.has_input("attn_mask");
    if (has_mask) {
        const Tensor& m = ctx.input("attn_mask");
        bool_mask = m.dtype() == DType::Bool;
        mask_f = bool_mask ? m : to_f32_tensor(m);
        mstride = broadcast_strides(ctx, m.shape(), score_shape);
    }

    Shape out_shape = batch_dims;
    out_shape.push_back(L);
    out_shape.push_back(EV);
    F32Output y(ctx, 0, out_shape);
    float* out = y.data();

    // scores[b] = Q[b] K[b]^T, then scaled, masked and softmaxed row by row in place, then
    // out[b] = scores[b] V[b]: two batched matrix products around a row-wise pass.
    Tensor scores = ctx.scratch(DType::Float32, {batch, L, S});
    float* sc = scores.data<float>();
    std::vector<int64_t> offsets;
    for (int64_t b = 0; b < batch; ++b) offsets.insert(offsets.end(), {b * L * E, b * S * E, b * L * S});
    kernels::GemmArgs<float> qk;
    qk.M = L;
    qk.N = S;
    qk.K = E;
    qk.A = q.data<float>();
    qk.lda = E;
    qk.B = k.data<float>();
    qk.ldb = E;
    qk.trans_b = true;
    qk.C = sc;
    qk.ldc = S;
    kernels::sgemm_batched(qk, offsets, &ctx.threads());

    const float scale = E > 0 ? 1.0f / std::sqrt(static_cast<float>(E)) : 1.0f;
    const int batch_rank = static_cast<int>(batch_dims.size());
    ctx.threads().parallel_for(batch * L, std::max<int64_t>(1, 16384 / std::max<int64_t>(S, 1)), [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
            float* score = sc + row * S;
            for (int64_t s = 0; s < S; ++s) score[s] *= scale;
            if (has_mask) {
                // Offset of mask row (b, l): unravel b over the batch axes.
                const int64_t b = row / L, l = row % L;
                int64_t base = l * mstride[batch_rank], rest = b;
                for (int d = batch_rank - 1; d >= 0; --d) {
                    base += (rest % batch_dims[d]) * mstride[d];
                    rest /= batch_dims[d];
                }
                const int64_t step = mstride[batch_rank + 1];
                if (bool_mask) {
                    const bool* mr = mask_f.data<bool>() + base;
                    for (int64_t s = 0; s < S; ++s)
                        if (!mr[s * step]) score[s] = -std::numeric_limits<float>::infinity();
                } else {
                    const float* mr = mask_f.data<float>() + base;
                    for (int64_t s = 0; s < S; ++s) score[s] += mr[s * step];
                }
            }
            float top = -std::numeric_limits<float>::infinity();
            for (int64_t s = 0; s < S; ++s) top = std::max(top, score[s]);
            const float inv = 1.0f / kernels::vm::exp_shifted_sum(score, score, S, top);
            for (int64_t s = 0; s < S; ++s) score[s] *= inv;
        }
    });

    offsets.clear();
    for (int64_t b = 0; b < batch; ++b) offsets.insert(offsets.end(), {b * L * S, b * S * EV, b * L * EV});
    kernels::GemmArgs<float> pv;
    pv.M = L;
    pv.N = EV;
    pv.K = S;
    pv.A = sc;
    pv.lda = S;
    pv.B = v.data<float>();
    pv.ldb = EV;
    pv.C = out;
    pv.ldc = EV;
    kernels::sgemm_batched(pv, offsets, &ctx.threads());
    y.commit();
}

}  // namespace

OCML_REGISTER_MIL_OP("scaled_dot_product_attention", kIOS18, [](const BuildContext&) { return make_kernel(run_sdpa); })

}  // namespace opencoreml::mil::misc
