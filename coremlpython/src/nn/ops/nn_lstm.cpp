// opencoreml neural networks: nn_lstm, one direction of the NeuralNetwork LSTM for what MIL's
// lstm cannot express — coupledInputAndForgetGate (forget gate = 1 - input gate) and the NN
// activations with their own parameters (leaky/thresholded ReLU, ELU, softsign, softplus,
// scaled tanh, linear and hard sigmoid with any alpha/beta). Inputs as MIL's lstm (x [S, B, I],
// initial_h/c [B, H], weight_ih [4H, I], weight_hh [4H, H], optional bias [4H] and peephole
// [3H], gates in input, forget, output, block-input order) plus: reverse, output_sequence,
// reverse_aligned (a reverse sequence output indexed by input position, for the backward half
// of a bidirectional layer), clip, coupled, and the recurrent, cell and output activations
// (nn_activation.hpp). Outputs y, h, c.
#include <algorithm>
#include <cstring>

#include "mil/op_api.hpp"
#include "mil/ops/recurrent/recurrent_common.hpp"
#include "nn/ops/nn_activation.hpp"

namespace opencoreml::mil {

namespace {

using nn::NnAct;
using recurrent::WeightT;

struct Params {
    int64_t hidden = 0, input = 0;
    bool reverse = false, aligned = false, output_sequence = false, coupled = false;
    float clip = 0;
    NnAct gate, cell, out;
    WeightT ih, hh;
    std::vector<float> bias, peephole;
    bool has_peephole = false;
};

class NnLstmKernel : public Kernel {
public:
    explicit NnLstmKernel(Params p) : p_(std::move(p)) {}

    void run(RunContext& ctx) const override {
        const int64_t H = p_.hidden, G = 4 * H;
        const Tensor x = ctx.input_f32("x");
        recurrent::check_sequence_input(ctx, x, p_.input);
        const int64_t S = x.dim(0), B = x.dim(1);
        const Tensor h0 = ctx.input_f32("initial_h"), c0 = ctx.input_f32("initial_c");
        recurrent::check_state(ctx, "initial_h", h0, B, H);
        recurrent::check_state(ctx, "initial_c", c0, B, H);
        Tensor& y = ctx.allocate_output(0, DType::Float32, {p_.output_sequence ? S : 1, B, H});
        Tensor& hn = ctx.allocate_output(1, DType::Float32, {B, H});
        Tensor& cn = ctx.allocate_output(2, DType::Float32, {B, H});
        float *hs = hn.data<float>(), *cs = cn.data<float>();
        std::memcpy(hs, h0.data<float>(), static_cast<size_t>(B * H) * sizeof(float));
        std::memcpy(cs, c0.data<float>(), static_cast<size_t>(B * H) * sizeof(float));
        Tensor proj = ctx.scratch(DType::Float32, {S * B, G});
        recurrent::project_rows(x.data<float>(), S * B, p_.ih, p_.bias.data(), proj.data<float>(), ctx.threads());
        for (int64_t k = 0; k < S; ++k) {
            const int64_t t = p_.reverse ? S - 1 - k : k;
            float* gates = proj.data<float>() + t * B * G;
            recurrent::accumulate_product(hs, B, p_.hh, 0, G, gates, G, ctx.threads());
            recurrent::for_each_row(ctx.threads(), B, G, [&](int64_t b) { step(gates + b * G, hs + b * H, cs + b * H); });
            if (p_.output_sequence) {
                const int64_t pos = p_.aligned ? t : k;
                std::memcpy(y.data<float>() + pos * B * H, hs, static_cast<size_t>(B * H) * sizeof(float));
            }
        }
        if (!p_.output_sequence) std::memcpy(y.data<float>(), hs, static_cast<size_t>(B * H) * sizeof(float));
    }

private:
    // One time step of one batch row from its gate pre-activations `g` (4H, consumed).
    void step(float* g, float* h, float* c) const {
        const int64_t H = p_.hidden;
        float *gi = g, *gf = g + H, *go = g + 2 * H, *gz = g + 3 * H;
        const float* peep = p_.peephole.data();
        if (p_.has_peephole)
            for (int64_t j = 0; j < H; ++j) {
                gi[j] += c[j] * peep[j];
                gf[j] += c[j] * peep[H + j];
            }
        p_.gate.apply(gi);
        if (p_.coupled)
            for (int64_t j = 0; j < H; ++j) gf[j] = 1.0f - gi[j];
        else
            p_.gate.apply(gf);
        p_.cell.apply(gz);
        for (int64_t j = 0; j < H; ++j) c[j] = std::min(p_.clip, std::max(-p_.clip, gf[j] * c[j] + gi[j] * gz[j]));
        if (p_.has_peephole)
            for (int64_t j = 0; j < H; ++j) go[j] += c[j] * peep[2 * H + j];
        p_.gate.apply(go);
        std::memcpy(gz, c, static_cast<size_t>(H) * sizeof(float));
        p_.out.apply(gz);
        for (int64_t j = 0; j < H; ++j) h[j] = go[j] * gz[j];
    }

    Params p_;
};

std::unique_ptr<Kernel> make_nn_lstm(const BuildContext& b) {
    Params p;
    const recurrent::RecurrentSizes sizes = recurrent::recurrent_sizes(b, 4);
    p.hidden = sizes.hidden, p.input = sizes.input;
    p.hh = recurrent::load_weight(b, "weight_hh", 4 * p.hidden, p.hidden);
    p.ih = recurrent::load_weight(b, "weight_ih", 4 * p.hidden, p.input);
    p.bias = recurrent::load_vector(b, "bias", 4 * p.hidden);
    p.has_peephole = b.has_input("peephole");
    p.peephole = recurrent::load_vector(b, "peephole", 3 * p.hidden);
    p.reverse = b.const_bool("reverse", false);
    p.aligned = b.const_bool("reverse_aligned", false);
    p.output_sequence = b.const_bool("output_sequence", false);
    p.coupled = b.const_bool("coupled", false);
    p.clip = static_cast<float>(b.const_float("clip"));
    const std::vector<NnAct> acts = nn::read_activations(b, 3, p.hidden);
    p.gate = acts[0];
    p.cell = acts[1];
    p.out = acts[2];
    return std::make_unique<NnLstmKernel>(std::move(p));
}

}  // namespace

OCML_REGISTER_MIL_OP("nn_lstm", kIOS15, make_nn_lstm)

}  // namespace opencoreml::mil
