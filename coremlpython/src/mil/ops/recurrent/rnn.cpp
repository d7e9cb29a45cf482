// opencoreml ML program op: rnn (iOS15 fp32, fp16 from iOS17): h_t = activation(W_ih x_t +
// W_hh h_{t-1} + bias). Reverse emits outputs in processing order.
#include <cstring>

#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/recurrent/recurrent_common.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil::recurrent {
namespace {

struct RnnParams {
    int64_t hidden = 0, input = 0;
    bool reverse = false, output_sequence = false;
    Activation act = Activation::Tanh;
    WeightT ih, hh;
    std::vector<float> bias;
};

class RnnKernel : public Kernel {
public:
    explicit RnnKernel(RnnParams p) : p_(std::move(p)) {}

    void run(RunContext& ctx) const override {
        const int64_t H = p_.hidden;
        const Tensor x = ctx.input_f32("x");
        check_sequence_input(ctx, x, p_.input);
        const int64_t S = x.dim(0), B = x.dim(1);
        const Tensor h0 = ctx.input_f32("initial_h");
        check_state(ctx, "initial_h", h0, B, H);

        F32Output y(ctx, 0, {p_.output_sequence ? S : 1, B, H}), hn(ctx, 1, {B, H});
        Tensor proj = ctx.scratch(DType::Float32, {S * B, H});
        project_rows(x.data<float>(), S * B, p_.ih, p_.bias.data(), proj.data<float>(), ctx.threads());
        // Each step's rows of the projection become that step's hidden state, in place.
        const float* h = h0.data<float>();
        for (int64_t k = 0; k < S; ++k) {
            const int64_t t = p_.reverse ? S - 1 - k : k;
            float* next = proj.data<float>() + t * B * H;
            accumulate_product(h, B, p_.hh, 0, H, next, H, ctx.threads());
            apply_activation(p_.act, next, B * H);
            h = next;
            if (p_.output_sequence) std::memcpy(y.data() + k * B * H, h, B * H * sizeof(float));
        }
        if (!p_.output_sequence) std::memcpy(y.data(), h, B * H * sizeof(float));
        std::memcpy(hn.data(), h, B * H * sizeof(float));
        y.commit();
        hn.commit();
    }

private:
    RnnParams p_;
};

std::unique_ptr<Kernel> make_rnn(const BuildContext& b) {
    RnnParams p;
    const RecurrentSizes sizes = recurrent_sizes(b, 1);
    p.hidden = sizes.hidden, p.input = sizes.input;
    p.hh = load_weight(b, "weight_hh", p.hidden, p.hidden);
    p.ih = load_weight(b, "weight_ih", p.hidden, p.input);
    p.bias = load_vector(b, "bias", p.hidden);
    p.reverse = parse_direction(b, false) == Direction::Reverse;
    p.output_sequence = b.const_bool("output_sequence", false);
    p.act = parse_activation(b, "activation", "tanh");
    return std::make_unique<RnnKernel>(std::move(p));
}

}  // namespace

OCML_REGISTER_MIL_OP("rnn", kIOS15, make_rnn)

}  // namespace opencoreml::mil::recurrent
