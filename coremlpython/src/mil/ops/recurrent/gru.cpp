// opencoreml ML program op: gru (iOS15 fp32, fp16 from iOS17, reset_after and input_bias from
// iOS18). Gate order in weights and biases is [reset, output (candidate), update]. With
// reset_after false the reset gate scales h before the recurrent product of the candidate
// (r * h) . W_ho; with reset_after true it scales the product plus its hidden bias,
// r * (h . W_ho + b_ho), as PyTorch does. Reverse emits outputs in processing order.
#include <algorithm>
#include <cstring>

#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/recurrent/recurrent_common.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil::recurrent {
namespace {

struct GruParams {
    int64_t hidden = 0, input = 0;
    bool reverse = false, output_sequence = false, reset_after = false;
    Activation gate_act = Activation::Sigmoid, out_act = Activation::Tanh;
    WeightT ih, hh;
    std::vector<float> input_side_bias;  // [3H], added to the projection of x
    std::vector<float> hidden_out_bias;  // [H], inside the reset product (reset_after only)
};

class GruKernel : public Kernel {
public:
    explicit GruKernel(GruParams p) : p_(std::move(p)) {}

    void run(RunContext& ctx) const override {
        const int64_t H = p_.hidden, G = 3 * H;
        const Tensor x = ctx.input_f32("x");
        check_sequence_input(ctx, x, p_.input);
        const int64_t S = x.dim(0), B = x.dim(1);
        const Tensor h0 = ctx.input_f32("initial_h");
        check_state(ctx, "initial_h", h0, B, H);

        F32Output y(ctx, 0, {p_.output_sequence ? S : 1, B, H}), hn(ctx, 1, {B, H});
        Tensor proj = ctx.scratch(DType::Float32, {S * B, G});
        Tensor rec = ctx.scratch(DType::Float32, {B, H}), gated = ctx.scratch(DType::Float32, {B, H});
        Tensor h = ctx.scratch(DType::Float32, {B, H});
        float* hs = h.data<float>();
        std::memcpy(hs, h0.data<float>(), B * H * sizeof(float));
        project_rows(x.data<float>(), S * B, p_.ih, p_.input_side_bias.data(), proj.data<float>(), ctx.threads());

        for (int64_t k = 0; k < S; ++k) {
            const int64_t t = p_.reverse ? S - 1 - k : k;
            float* g = proj.data<float>() + t * B * G;  // [B, r | o | z], completed in place
            accumulate_product(hs, B, p_.hh, 0, H, g, G, ctx.threads());
            accumulate_product(hs, B, p_.hh, 2 * H, 3 * H, g + 2 * H, G, ctx.threads());
            for (int64_t b = 0; b < B; ++b) {
                apply_activation(p_.gate_act, g + b * G, H);
                apply_activation(p_.gate_act, g + b * G + 2 * H, H);
            }
            float* r = rec.data<float>();
            std::fill(r, r + B * H, 0.0f);
            if (p_.reset_after) {
                accumulate_product(hs, B, p_.hh, H, 2 * H, r, H, ctx.threads());
            } else {
                float* rh = gated.data<float>();
                for (int64_t b = 0; b < B; ++b)
                    for (int64_t j = 0; j < H; ++j) rh[b * H + j] = g[b * G + j] * hs[b * H + j];
                accumulate_product(rh, B, p_.hh, H, 2 * H, r, H, ctx.threads());
            }
            for (int64_t b = 0; b < B; ++b) finish_step(g + b * G, r + b * H, hs + b * H);
            if (p_.output_sequence) std::memcpy(y.data() + k * B * H, hs, B * H * sizeof(float));
        }
        if (!p_.output_sequence) std::memcpy(y.data(), hs, B * H * sizeof(float));
        std::memcpy(hn.data(), hs, B * H * sizeof(float));
        y.commit();
        hn.commit();
    }

private:
    // The candidate and new state of one batch row, given its activated gates `g` ([r | o | z],
    // o still a pre-activation without its recurrent part) and the recurrent product `rec`.
    void finish_step(float* g, const float* rec, float* h) const {
        const int64_t H = p_.hidden;
        const float *r = g, *z = g + 2 * H;
        float* o = g + H;
        if (p_.reset_after) {
            const float* bo = p_.hidden_out_bias.data();
            for (int64_t j = 0; j < H; ++j) o[j] += r[j] * (rec[j] + bo[j]);
        } else {
            for (int64_t j = 0; j < H; ++j) o[j] += rec[j];
        }
        apply_activation(p_.out_act, o, H);
        for (int64_t j = 0; j < H; ++j) h[j] = (1.0f - z[j]) * o[j] + z[j] * h[j];
    }

    GruParams p_;
};

std::unique_ptr<Kernel> make_gru(const BuildContext& b) {
    GruParams p;
    const RecurrentSizes sizes = recurrent_sizes(b, 3);
    const int64_t H = sizes.hidden;
    p.hidden = H, p.input = sizes.input;
    p.hh = load_weight(b, "weight_hh", 3 * H, H);
    p.ih = load_weight(b, "weight_ih", 3 * H, p.input);
    p.reverse = parse_direction(b, false) == Direction::Reverse;
    p.output_sequence = b.const_bool("output_sequence", false);
    p.gate_act = parse_activation(b, "recurrent_activation", "sigmoid");
    p.out_act = parse_activation(b, "activation", "tanh");
    p.reset_after = b.const_bool("reset_after", false);
    const std::vector<float> bias = load_vector(b, "bias", 3 * H);
    p.input_side_bias = load_vector(b, "input_bias", 3 * H);
    p.hidden_out_bias.assign(static_cast<size_t>(H), 0.0f);
    for (int64_t j = 0; j < 3 * H; ++j) {
        const bool inside_reset = p.reset_after && j >= H && j < 2 * H;
        if (inside_reset) p.hidden_out_bias[j - H] = bias[j];
        else p.input_side_bias[j] += bias[j];
    }
    return std::make_unique<GruKernel>(std::move(p));
}

}  // namespace

OCML_REGISTER_MIL_OP("gru", kIOS15, make_gru)

}  // namespace opencoreml::mil::recurrent
