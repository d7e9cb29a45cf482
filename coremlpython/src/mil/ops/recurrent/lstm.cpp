// opencoreml ML program op: lstm (iOS15 fp32; fp16 from iOS17). Gate order in weights and bias is
// [input, forget, output, cell]; peephole is [input, forget, output]. Reverse runs the sequence
// backwards and emits outputs in processing order; bidirectional emits the backward half aligned
// with the input positions and concatenates [forward | backward] along the hidden axis.
#include <algorithm>
#include <cstring>

#include "kernels/vec_math.hpp"
#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/recurrent/recurrent_common.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil::recurrent {
namespace {

struct LstmWeights {
    WeightT ih, hh;
    std::vector<float> bias, peephole;
    bool has_peephole = false;
};

struct LstmParams {
    int64_t hidden = 0, input = 0;
    Direction direction = Direction::Forward;
    bool output_sequence = false;
    Activation gate_act = Activation::Sigmoid, cell_act = Activation::Tanh, out_act = Activation::Tanh;
    bool clip = false;
    float clip_value = 0.0f;
    LstmWeights fwd, back;
};

LstmWeights load_direction(const BuildContext& b, const std::string& suffix, int64_t hidden, int64_t input) {
    LstmWeights w;
    w.hh = load_weight(b, "weight_hh" + suffix, 4 * hidden, hidden);
    w.ih = load_weight(b, "weight_ih" + suffix, 4 * hidden, input);
    w.bias = load_vector(b, "bias" + suffix, 4 * hidden);
    w.peephole = load_vector(b, "peephole" + suffix, 3 * hidden);
    // An all-zero peephole (converters often pass one) is no peephole: the fused cell applies.
    w.has_peephole = std::any_of(w.peephole.begin(), w.peephole.end(), [](float v) { return v != 0.0f; });
    return w;
}

class LstmKernel : public Kernel {
public:
    explicit LstmKernel(LstmParams p)
        : p_(std::move(p)),
          default_cell_(p_.gate_act == Activation::Sigmoid && p_.cell_act == Activation::Tanh &&
                        p_.out_act == Activation::Tanh && !p_.clip) {}

    void run(RunContext& ctx) const override {
        const int64_t H = p_.hidden, G = 4 * H;
        const int64_t dirs = p_.direction == Direction::Bidirectional ? 2 : 1;
        const Tensor x = ctx.input_f32("x");
        check_sequence_input(ctx, x, p_.input);
        const int64_t S = x.dim(0), B = x.dim(1);
        const Tensor h0 = ctx.input_f32("initial_h"), c0 = ctx.input_f32("initial_c");
        check_state(ctx, "initial_h", h0, B, dirs * H);
        check_state(ctx, "initial_c", c0, B, dirs * H);

        const int64_t out_steps = p_.output_sequence ? S : 1;
        F32Output y(ctx, 0, {out_steps, B, dirs * H}), hn(ctx, 1, {B, dirs * H}), cn(ctx, 2, {B, dirs * H});
        Tensor proj = ctx.scratch(DType::Float32, {S * B, G});
        Tensor h = ctx.scratch(DType::Float32, {B, H}), c = ctx.scratch(DType::Float32, {B, H});
        float *hs = h.data<float>(), *cs = c.data<float>();

        for (int64_t d = 0; d < dirs; ++d) {
            const LstmWeights& w = d == 0 ? p_.fwd : p_.back;
            const bool backward = p_.direction == Direction::Reverse || d == 1;
            project_rows(x.data<float>(), S * B, w.ih, w.bias.data(), proj.data<float>(), ctx.threads());
            for (int64_t b = 0; b < B; ++b) {
                std::memcpy(hs + b * H, h0.data<float>() + b * dirs * H + d * H, H * sizeof(float));
                std::memcpy(cs + b * H, c0.data<float>() + b * dirs * H + d * H, H * sizeof(float));
            }
            for (int64_t k = 0; k < S; ++k) {
                const int64_t t = backward ? S - 1 - k : k;
                // This step's gate pre-activations: its projected rows plus h . W_hh^T, in place.
                float* gates = proj.data<float>() + t * B * G;
                accumulate_product(hs, B, w.hh, 0, G, gates, G, ctx.threads());
                for_each_row(ctx.threads(), B, G, [&](int64_t b) { step(w, gates + b * G, hs + b * H, cs + b * H); });
                if (p_.output_sequence) {
                    const int64_t pos = p_.direction == Direction::Bidirectional ? t : k;
                    for (int64_t b = 0; b < B; ++b)
                        std::memcpy(y.data() + (pos * B + b) * dirs * H + d * H, hs + b * H, H * sizeof(float));
                }
            }
            for (int64_t b = 0; b < B; ++b) {
                if (!p_.output_sequence) std::memcpy(y.data() + b * dirs * H + d * H, hs + b * H, H * sizeof(float));
                std::memcpy(hn.data() + b * dirs * H + d * H, hs + b * H, H * sizeof(float));
                std::memcpy(cn.data() + b * dirs * H + d * H, cs + b * H, H * sizeof(float));
            }
        }
        y.commit();
        hn.commit();
        cn.commit();
    }

private:
    // The rest of one time step for one batch row, given its gate pre-activations `g` (4H,
    // consumed): updates h and c in place.
    void step(const LstmWeights& w, float* g, float* h, float* c) const {
        const int64_t H = p_.hidden;
        if (default_cell_ && !w.has_peephole) {  // the common case, fused in one pass
            kernels::vm::lstm_cell(g, c, h, H);
            return;
        }
        float *gi = g, *gf = g + H, *go = g + 2 * H, *gz = g + 3 * H;
        const float* peep = w.peephole.data();
        if (w.has_peephole) {
            for (int64_t j = 0; j < H; ++j) {
                gi[j] += c[j] * peep[j];
                gf[j] += c[j] * peep[H + j];
            }
        }
        apply_activation(p_.gate_act, gi, 2 * H);  // input and forget gates are adjacent
        apply_activation(p_.cell_act, gz, H);
        for (int64_t j = 0; j < H; ++j) c[j] = gf[j] * c[j] + gi[j] * gz[j];
        if (p_.clip) {
            const float lim = p_.clip_value;
            for (int64_t j = 0; j < H; ++j) c[j] = std::min(lim, std::max(-lim, c[j]));
        }
        if (w.has_peephole)
            for (int64_t j = 0; j < H; ++j) go[j] += c[j] * peep[2 * H + j];
        apply_activation(p_.gate_act, go, H);
        // The cell gate's slot is free now: reuse it for activation(c).
        std::memcpy(gz, c, H * sizeof(float));
        apply_activation(p_.out_act, gz, H);
        for (int64_t j = 0; j < H; ++j) h[j] = go[j] * gz[j];
    }

    LstmParams p_;
    bool default_cell_;  // sigmoid / tanh / tanh without clip: kernels::vm::lstm_cell
};

std::unique_ptr<Kernel> make_lstm(const BuildContext& b) {
    LstmParams p;
    const RecurrentSizes sizes = recurrent_sizes(b, 4);
    p.hidden = sizes.hidden, p.input = sizes.input;
    p.direction = parse_direction(b, true);
    p.output_sequence = b.const_bool("output_sequence", false);
    p.gate_act = parse_activation(b, "recurrent_activation", "sigmoid");
    p.cell_act = parse_activation(b, "cell_activation", "tanh");
    p.out_act = parse_activation(b, "activation", "tanh");
    p.clip = b.has_input("clip");
    if (p.clip) p.clip_value = static_cast<float>(b.const_float("clip"));
    p.fwd = load_direction(b, "", p.hidden, p.input);
    if (p.direction == Direction::Bidirectional) {
        if (!b.has_input("weight_ih_back") || !b.has_input("weight_hh_back"))
            b.fail("a bidirectional lstm needs weight_ih_back and weight_hh_back");
        p.back = load_direction(b, "_back", p.hidden, p.input);
    }
    return std::make_unique<LstmKernel>(std::move(p));
}

}  // namespace

OCML_REGISTER_MIL_OP("lstm", kIOS15, make_lstm)

}  // namespace opencoreml::mil::recurrent
