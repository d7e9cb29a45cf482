// opencoreml neural networks: nn_gru and nn_rnn, the NeuralNetwork gru and simpleRecurrent
// layers with activations MIL's gru / rnn do not have (nn_activation.hpp). Inputs: x [S, B, I],
// initial_h [B, H], weight_ih and weight_hh (gru: [3H, I] / [3H, H] in update, reset, output
// order; rnn: [H, I] / [H, H]), optional bias, reverse, output_sequence, activations (gru: the
// gate and output activations; rnn: one). Outputs y ([S or 1, B, H], in processing order) and
// the final h. The NN GRU: z = f(x Wz + h Rz + bz), r = f(x Wr + h Rr + br),
// o = g(x Wo + (r * h) Ro + bo), h = (1 - z) * o + z * h; the simple RNN: h = f(x W + h R + b).
#include <cstring>

#include "mil/op_api.hpp"
#include "mil/ops/recurrent/recurrent_common.hpp"
#include "nn/ops/nn_activation.hpp"

namespace opencoreml::mil {

namespace {

using nn::NnAct;
using recurrent::WeightT;

struct Params {
    int64_t hidden = 0, input = 0, gates = 1;  // gates: 3 for gru, 1 for rnn
    bool reverse = false, output_sequence = false;
    std::vector<NnAct> acts;
    WeightT ih, hh;
    std::vector<float> bias;
};

class NnRecurrentKernel : public Kernel {
public:
    explicit NnRecurrentKernel(Params p) : p_(std::move(p)) {}

    void run(RunContext& ctx) const override {
        const int64_t H = p_.hidden, G = p_.gates * H;
        const Tensor x = ctx.input_f32("x");
        recurrent::check_sequence_input(ctx, x, p_.input);
        const int64_t S = x.dim(0), B = x.dim(1);
        const Tensor h0 = ctx.input_f32("initial_h");
        recurrent::check_state(ctx, "initial_h", h0, B, H);
        Tensor& y = ctx.allocate_output(0, DType::Float32, {p_.output_sequence ? S : 1, B, H});
        Tensor& hn = ctx.allocate_output(1, DType::Float32, {B, H});
        float* hs = hn.data<float>();
        std::memcpy(hs, h0.data<float>(), static_cast<size_t>(B * H) * sizeof(float));
        Tensor proj = ctx.scratch(DType::Float32, {S * B, G});
        Tensor reset_h = ctx.scratch(DType::Float32, {B, H});
        recurrent::project_rows(x.data<float>(), S * B, p_.ih, p_.bias.data(), proj.data<float>(), ctx.threads());
        for (int64_t k = 0; k < S; ++k) {
            const int64_t t = p_.reverse ? S - 1 - k : k;
            float* g = proj.data<float>() + t * B * G;
            if (p_.gates == 1) {
                recurrent::accumulate_product(hs, B, p_.hh, 0, H, g, G, ctx.threads());
                for (int64_t b = 0; b < B; ++b) {
                    p_.acts[0].apply(g + b * G);
                    std::memcpy(hs + b * H, g + b * G, static_cast<size_t>(H) * sizeof(float));
                }
            } else {
                gru_step(ctx, g, hs, reset_h.data<float>(), B);
            }
            if (p_.output_sequence) std::memcpy(y.data<float>() + k * B * H, hs, static_cast<size_t>(B * H) * sizeof(float));
        }
        if (!p_.output_sequence) std::memcpy(y.data<float>(), hs, static_cast<size_t>(B * H) * sizeof(float));
    }

private:
    // One GRU step over all batch rows; g holds [z | r | o] pre-activations from x (completed here).
    void gru_step(RunContext& ctx, float* g, float* h, float* rh, int64_t B) const {
        const int64_t H = p_.hidden, G = 3 * H;
        recurrent::accumulate_product(h, B, p_.hh, 0, 2 * H, g, G, ctx.threads());
        for (int64_t b = 0; b < B; ++b) {
            float* gb = g + b * G;
            p_.acts[0].apply(gb);  // update gate
            p_.acts[0].apply(gb + H);  // reset gate
            for (int64_t j = 0; j < H; ++j) rh[b * H + j] = gb[H + j] * h[b * H + j];
        }
        recurrent::accumulate_product(rh, B, p_.hh, 2 * H, 3 * H, g + 2 * H, G, ctx.threads());
        for (int64_t b = 0; b < B; ++b) {
            float* gb = g + b * G;
            float* o = gb + 2 * H;
            p_.acts[1].apply(o);
            for (int64_t j = 0; j < H; ++j) h[b * H + j] = (1.0f - gb[j]) * o[j] + gb[j] * h[b * H + j];
        }
    }

    Params p_;
};

std::unique_ptr<Kernel> make_nn_recurrent(const BuildContext& b, int64_t gates) {
    Params p;
    p.gates = gates;
    const recurrent::RecurrentSizes sizes = recurrent::recurrent_sizes(b, gates);
    p.hidden = sizes.hidden, p.input = sizes.input;
    p.hh = recurrent::load_weight(b, "weight_hh", gates * p.hidden, p.hidden);
    p.ih = recurrent::load_weight(b, "weight_ih", gates * p.hidden, p.input);
    p.bias = recurrent::load_vector(b, "bias", gates * p.hidden);
    p.reverse = b.const_bool("reverse", false);
    p.output_sequence = b.const_bool("output_sequence", false);
    p.acts = nn::read_activations(b, gates == 3 ? 2 : 1, p.hidden);
    return std::make_unique<NnRecurrentKernel>(std::move(p));
}

}  // namespace

OCML_REGISTER_MIL_OP("nn_gru", kIOS15, [](const BuildContext& b) { return make_nn_recurrent(b, 3); })
OCML_REGISTER_MIL_OP("nn_rnn", kIOS15, [](const BuildContext& b) { return make_nn_recurrent(b, 1); })

}  // namespace opencoreml::mil
