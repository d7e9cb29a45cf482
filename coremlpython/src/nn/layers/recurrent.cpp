// opencoreml neural networks: the recurrent layers — simpleRecurrent, gru, uniDirectionalLSTM
// and biDirectionalLSTM — as MIL rnn / gru / lstm. NN blobs are [Seq, Batch, size, 1, 1] and
// states [1, Batch, size, 1, 1]; MIL wants [Seq, Batch, size] and [Batch, size], so sequences
// and states are squeezed on the way in and expanded on the way out. Per-gate NN weights are
// stacked in MIL's gate order (LSTM: input, forget, output, block input; GRU: reset, output,
// update). Missing initial states are zeros. LSTMs that MIL's lstm cannot express (coupled
// input and forget gates, NN activations outside MIL's set) run on nn_lstm (nn/ops/nn_lstm.cpp),
// one op per direction.
#include <algorithm>
#include <cstring>

#include "nn/emit.hpp"
#include "nn/ops/nn_activation.hpp"
#include "nn/weights.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;

// A recurrent activation with scalar parameters as the NN kernels' (code, alpha, beta); false
// for the per-channel ones (PReLU, parametric softplus; see activation_args).
// Linear, hard sigmoid and scaled tanh whose parameters are both unset (proto3 zeros, as
// coremltools' builder writes them) take MIL's defaults — identity, 0.2 x + 0.5, tanh — which
// is how Core ML runs them (coremltools checks its NN LSTMs against those functions).
bool nn_activation(const spec::ActivationParams& a, int& code, float& alpha, float& beta) {
    using A = spec::ActivationParams;
    alpha = beta = 0.0f;
    auto params = [&](float a_set, float b_set, float a_default, float b_default) {
        const bool unset = a_set == 0.0f && b_set == 0.0f;
        alpha = unset ? a_default : a_set;
        beta = unset ? b_default : b_set;
    };
    switch (a.NonlinearityType_case()) {
        case A::kLinear: code = kActLinear, params(a.linear().alpha(), a.linear().beta(), 1.0f, 0.0f); return true;
        case A::kReLU: code = kActRelu; return true;
        case A::kLeakyReLU: code = kActLeakyRelu, alpha = a.leakyrelu().alpha(); return true;
        case A::kThresholdedReLU: code = kActThresholdedRelu, alpha = a.thresholdedrelu().alpha(); return true;
        case A::kTanh: code = kActTanh; return true;
        case A::kScaledTanh: code = kActScaledTanh, params(a.scaledtanh().alpha(), a.scaledtanh().beta(), 1.0f, 1.0f); return true;
        case A::kSigmoid: code = kActSigmoid; return true;
        case A::kSigmoidHard: code = kActSigmoidHard, params(a.sigmoidhard().alpha(), a.sigmoidhard().beta(), 0.2f, 0.5f); return true;
        case A::kELU: code = kActElu, alpha = a.elu().alpha(); return true;
        case A::kSoftsign: code = kActSoftsign; return true;
        case A::kSoftplus: code = kActSoftplus; return true;
        default: return false;
    }
}

// The name MIL's recurrent ops give an activation, "" when they have no such function (or not
// with these parameters).
std::string mil_activation_name(const spec::ActivationParams& a) {
    int code;
    float alpha, beta;
    if (!nn_activation(a, code, alpha, beta)) return "";
    switch (code) {
        case kActSigmoid: return "sigmoid";
        case kActTanh: return "tanh";
        case kActRelu: return "relu";
        case kActLinear: return alpha == 1.0f && beta == 0.0f ? "linear" : "";
        case kActSigmoidHard: return alpha == 0.2f && beta == 0.5f ? "hard_sigmoid" : "";
        case kActScaledTanh: return alpha == 1.0f && beta == 1.0f ? "scaled_tanh" : "";
        default: return "";
    }
}

bool mil_activation(const spec::ActivationParams& a) { return !mil_activation_name(a).empty(); }

// The MIL name of a recurrent activation of simpleRecurrent / gru (MIL rnn / gru).
std::string activation_name(const LayerContext& ctx, const spec::ActivationParams& a) {
    const std::string name = mil_activation_name(a);
    if (name.empty())
        ctx.unsupported("this recurrent activation (or its parameters) in a simpleRecurrent or gru layer (MIL's rnn/gru take "
                        "sigmoid, tanh, relu, linear, hard sigmoid 0.2/0.5 and scaled tanh 1/1)");
    return name;
}

// Whether MIL's recurrent ops can run all of `acts`.
template <typename List>
bool all_mil(const List& acts) {
    return std::all_of(acts.begin(), acts.end(), [](const spec::ActivationParams& a) { return mil_activation(a); });
}

// Per-unit values of a PReLU / parametric softplus parameter: 1 value (for every unit) or `h`.
std::vector<float> per_unit(LayerContext& ctx, const spec::WeightParams& w, int64_t h, const char* what) {
    const int64_t stored = w.floatvalue_size() > 0 ? w.floatvalue_size() : static_cast<int64_t>(w.float16value().size() / 2);
    const int64_t n = stored == 1 ? 1 : h;
    const Tensor t = ctx.weights(w, {n}, std::string("activation ") + what);
    std::vector<float> out(static_cast<size_t>(h));
    for (int64_t j = 0; j < h; ++j) out[static_cast<size_t>(j)] = t.data<float>()[n == 1 ? 0 : j];
    return out;
}

// The "activations" and "activation_params" inputs of the NN recurrent kernels (nn_activation.hpp)
// for `h` hidden units.
void activation_args(LayerContext& ctx, const std::vector<const spec::ActivationParams*>& acts, int64_t h,
                     std::vector<Arg>& args) {
    using A = spec::ActivationParams;
    const int64_t n = static_cast<int64_t>(acts.size());
    std::vector<int64_t> codes(acts.size());
    Tensor params = Tensor::empty(DType::Float32, {n, 2, h});
    for (size_t i = 0; i < acts.size(); ++i) {
        const A& a = *acts[i];
        std::vector<float> alphas, betas;
        int code;
        float alpha, beta;
        if (nn_activation(a, code, alpha, beta)) {
            alphas.assign(static_cast<size_t>(h), alpha);
            betas.assign(static_cast<size_t>(h), beta);
        } else if (a.NonlinearityType_case() == A::kPReLU) {
            code = kActPrelu;
            alphas = per_unit(ctx, a.prelu().alpha(), h, "alpha");
            betas.assign(static_cast<size_t>(h), 0.0f);
        } else if (a.NonlinearityType_case() == A::kParametricSoftplus) {
            code = kActParametricSoftplus;
            alphas = per_unit(ctx, a.parametricsoftplus().alpha(), h, "alpha");
            betas = per_unit(ctx, a.parametricsoftplus().beta(), h, "beta");
        } else {
            ctx.fail("has a recurrent activation with no function set");
        }
        codes[i] = code;
        std::copy(alphas.begin(), alphas.end(), params.data<float>() + (2 * static_cast<int64_t>(i)) * h);
        std::copy(betas.begin(), betas.end(), params.data<float>() + (2 * static_cast<int64_t>(i) + 1) * h);
    }
    args.emplace_back("activations", ctx.writer().ints(codes));
    args.emplace_back("activation_params", ctx.writer().constant(params));
}

// Rows of several [rows, cols] weight blocks stacked into one [n * rows, cols] constant.
Var stacked(LayerContext& ctx, const std::vector<const spec::WeightParams*>& parts, int64_t rows, int64_t cols,
            const std::string& what) {
    const int64_t n = static_cast<int64_t>(parts.size());
    Tensor out = Tensor::empty(DType::Float32, cols > 0 ? Shape{n * rows, cols} : Shape{n * rows});
    const int64_t block = rows * (cols > 0 ? cols : 1);
    for (int64_t i = 0; i < n; ++i) {
        const Tensor t = ctx.weights(*parts[static_cast<size_t>(i)], cols > 0 ? Shape{rows, cols} : Shape{rows}, what);
        std::memcpy(out.data<float>() + i * block, t.data<float>(), static_cast<size_t>(block) * sizeof(float));
    }
    return ctx.writer().constant(out);
}

// A [Seq, Batch, size, 1, 1] input as [Seq, Batch, size].
Var sequence_in(LayerContext& ctx, int64_t size) {
    const Var& x = ctx.in(0);
    if (x.rank() != 5) ctx.fail("needs a rank-5 input [Seq, Batch, " + std::to_string(size) + ", 1, 1], got " + shape_to_string(x.shape));
    if (x.dim(2) >= 0 && x.dim(2) != size)
        ctx.fail("input " + shape_to_string(x.shape) + " must have " + std::to_string(size) + " features on axis 2");
    return squeeze(ctx, x, {3, 4});
}

// Initial state input `index` ([1, Batch, size, 1, 1]) as [Batch, size]; zeros when absent.
Var state_in(LayerContext& ctx, size_t index, const Var& seq, int64_t size) {
    if (index < ctx.input_count()) return reshape(ctx, ctx.in(index), {-1, size});
    const int64_t batch = seq.dim(1);
    if (batch < 0) ctx.unsupported("a recurrent layer with no initial state and a batch size known only at run time");
    return ctx.writer().constant(Tensor::zeros(DType::Float32, {batch, size}));
}

Var sequence_out(LayerContext& ctx, const Var& y) { return expand_dims(ctx, y, {3, 4}); }
Var state_out(LayerContext& ctx, const Var& h) { return expand_dims(ctx, h, {0, 3, 4}); }

Shape seq_shape(const Var& seq, bool sequence_output, int64_t size) {
    return {sequence_output ? seq.dim(0) : 1, seq.dim(1), size};
}

void translate_simple_recurrent(LayerContext& ctx) {
    ctx.require(1, 2, -1);
    const auto& p = ctx.layer().simplerecurrent();
    const int64_t in = static_cast<int64_t>(p.inputvectorsize()), h = static_cast<int64_t>(p.outputvectorsize());
    const Var seq = sequence_in(ctx, in);
    MilWriter& w = ctx.writer();
    const bool mil = mil_activation(p.activation());  // else nn_rnn
    std::vector<Arg> args{{"x", seq},
                          {"initial_h", state_in(ctx, 1, seq, h)},
                          {"weight_ih", ctx.weight_const(p.weightmatrix(), {h, in}, "weightMatrix")},
                          {"weight_hh", ctx.weight_const(p.recursionmatrix(), {h, h}, "recursionMatrix")},
                          {"output_sequence", w.bool_scalar(p.sequenceoutput())}};
    if (mil) {
        args.emplace_back("direction", w.string(p.reverseinput() ? "reverse" : "forward"));
        args.emplace_back("activation", w.string(activation_name(ctx, p.activation())));
    } else {
        args.emplace_back("reverse", w.bool_scalar(p.reverseinput()));
        activation_args(ctx, {&p.activation()}, h, args);
    }
    if (p.hasbiasvector()) args.emplace_back("bias", ctx.weight_const(p.biasvector(), {h}, "biasVector"));
    const auto r = ctx.ops(mil ? "rnn" : "nn_rnn", args, {{DType::Float32, seq_shape(seq, p.sequenceoutput(), h)}, {DType::Float32, {seq.dim(1), h}}});
    ctx.set_out(0, sequence_out(ctx, r[0]));
    if (ctx.output_count() > 1) ctx.set_out(1, state_out(ctx, r[1]));
}

// A gru layer with activations MIL's gru lacks, as nn_gru (gates in update, reset, output order).
void translate_nn_gru(LayerContext& ctx, const Var& seq, int64_t in, int64_t h) {
    const auto& p = ctx.layer().gru();
    MilWriter& w = ctx.writer();
    std::vector<Arg> args{
        {"x", seq},
        {"initial_h", state_in(ctx, 1, seq, h)},
        {"weight_ih", stacked(ctx, {&p.updategateweightmatrix(), &p.resetgateweightmatrix(), &p.outputgateweightmatrix()}, h, in, "weights")},
        {"weight_hh", stacked(ctx, {&p.updategaterecursionmatrix(), &p.resetgaterecursionmatrix(), &p.outputgaterecursionmatrix()}, h, h, "recursion weights")},
        {"reverse", w.bool_scalar(p.reverseinput())},
        {"output_sequence", w.bool_scalar(p.sequenceoutput())}};
    activation_args(ctx, {&p.activations(0), &p.activations(1)}, h, args);
    if (p.hasbiasvectors())
        args.emplace_back("bias", stacked(ctx, {&p.updategatebiasvector(), &p.resetgatebiasvector(), &p.outputgatebiasvector()}, h, 0, "biases"));
    const auto r = ctx.ops("nn_gru", args, {{DType::Float32, seq_shape(seq, p.sequenceoutput(), h)}, {DType::Float32, {seq.dim(1), h}}});
    ctx.set_out(0, sequence_out(ctx, r[0]));
    if (ctx.output_count() > 1) ctx.set_out(1, state_out(ctx, r[1]));
}

void translate_gru(LayerContext& ctx) {
    ctx.require(1, 2, -1);
    const auto& p = ctx.layer().gru();
    const int64_t in = static_cast<int64_t>(p.inputvectorsize()), h = static_cast<int64_t>(p.outputvectorsize());
    if (p.activations_size() != 2) ctx.fail("needs 2 activations, got " + std::to_string(p.activations_size()));
    const Var seq = sequence_in(ctx, in);
    MilWriter& w = ctx.writer();
    if (!all_mil(p.activations())) return translate_nn_gru(ctx, seq, in, h);
    std::vector<Arg> args{
        {"x", seq},
        {"initial_h", state_in(ctx, 1, seq, h)},
        {"weight_ih", stacked(ctx, {&p.resetgateweightmatrix(), &p.outputgateweightmatrix(), &p.updategateweightmatrix()}, h, in, "weights")},
        {"weight_hh", stacked(ctx, {&p.resetgaterecursionmatrix(), &p.outputgaterecursionmatrix(), &p.updategaterecursionmatrix()}, h, h, "recursion weights")},
        {"direction", w.string(p.reverseinput() ? "reverse" : "forward")},
        {"output_sequence", w.bool_scalar(p.sequenceoutput())},
        {"recurrent_activation", w.string(activation_name(ctx, p.activations(0)))},
        {"activation", w.string(activation_name(ctx, p.activations(1)))}};
    if (p.hasbiasvectors())
        args.emplace_back("bias", stacked(ctx, {&p.resetgatebiasvector(), &p.outputgatebiasvector(), &p.updategatebiasvector()}, h, 0, "biases"));
    const auto r = ctx.ops("gru", args, {{DType::Float32, seq_shape(seq, p.sequenceoutput(), h)}, {DType::Float32, {seq.dim(1), h}}});
    ctx.set_out(0, sequence_out(ctx, r[0]));
    if (ctx.output_count() > 1) ctx.set_out(1, state_out(ctx, r[1]));
}

// Weight arguments of one LSTM direction; `suffix` is "" or "_back".
void lstm_weights(LayerContext& ctx, const spec::LSTMWeightParams& wp, const spec::LSTMParams& params, int64_t in, int64_t h,
                  const std::string& suffix, std::vector<Arg>& args) {
    args.emplace_back("weight_ih" + suffix,
                      stacked(ctx, {&wp.inputgateweightmatrix(), &wp.forgetgateweightmatrix(), &wp.outputgateweightmatrix(),
                                    &wp.blockinputweightmatrix()}, h, in, "weights"));
    args.emplace_back("weight_hh" + suffix,
                      stacked(ctx, {&wp.inputgaterecursionmatrix(), &wp.forgetgaterecursionmatrix(),
                                    &wp.outputgaterecursionmatrix(), &wp.blockinputrecursionmatrix()}, h, h, "recursion weights"));
    if (params.hasbiasvectors() || params.forgetbias()) {
        Tensor bias = Tensor::zeros(DType::Float32, {4 * h});
        if (params.hasbiasvectors()) {
            const std::vector<const spec::WeightParams*> parts{&wp.inputgatebiasvector(), &wp.forgetgatebiasvector(),
                                                               &wp.outputgatebiasvector(), &wp.blockinputbiasvector()};
            for (size_t g = 0; g < parts.size(); ++g) {
                const Tensor t = ctx.weights(*parts[g], {h}, "biases");
                std::memcpy(bias.data<float>() + static_cast<int64_t>(g) * h, t.data<float>(), static_cast<size_t>(h) * sizeof(float));
            }
        }
        if (params.forgetbias())
            for (int64_t j = 0; j < h; ++j) bias.data<float>()[h + j] += 1.0f;
        args.emplace_back("bias" + suffix, ctx.writer().constant(bias));
    }
    if (params.haspeepholevectors())
        args.emplace_back("peephole" + suffix,
                          stacked(ctx, {&wp.inputgatepeepholevector(), &wp.forgetgatepeepholevector(), &wp.outputgatepeepholevector()},
                                  h, 0, "peepholes"));
}

using Activations = google::protobuf::RepeatedPtrField<spec::ActivationParams>;

float cell_clip(const spec::LSTMParams& params) {
    return params.cellclipthreshold() == 0.0f ? 50.0f : params.cellclipthreshold();
}

// Whether the layer needs nn_lstm rather than MIL's lstm.
bool needs_nn_lstm(const spec::LSTMParams& params, const Activations& a, const Activations* back = nullptr) {
    if (params.coupledinputandforgetgate()) return true;
    for (int i = 0; i < a.size(); ++i) {
        if (!mil_activation(a[i])) return true;
        if (back && (i >= back->size() || !mil_activation((*back)[i]) ||
                     a[i].SerializeAsString() != (*back)[i].SerializeAsString()))
            return true;
    }
    return false;
}

// One direction as nn_lstm: its y ([S or 1, B, H]), h and c ([B, H]).
std::vector<Var> nn_lstm(LayerContext& ctx, const Var& seq, const Var& h0, const Var& c0, const spec::LSTMWeightParams& wp,
                         const spec::LSTMParams& params, const Activations& acts, int64_t in, int64_t h, bool reverse,
                         bool aligned) {
    if (acts.size() != 3) ctx.fail("needs 3 activations, got " + std::to_string(acts.size()));
    MilWriter& w = ctx.writer();
    std::vector<Arg> args{{"x", seq},
                          {"initial_h", h0},
                          {"initial_c", c0},
                          {"reverse", w.bool_scalar(reverse)},
                          {"reverse_aligned", w.bool_scalar(aligned)},
                          {"output_sequence", w.bool_scalar(params.sequenceoutput())},
                          {"coupled", w.bool_scalar(params.coupledinputandforgetgate())},
                          {"clip", w.float_scalar(cell_clip(params))}};
    activation_args(ctx, {&acts[0], &acts[1], &acts[2]}, h, args);
    lstm_weights(ctx, wp, params, in, h, "", args);
    const Shape state{seq.dim(1), h};
    return ctx.ops("nn_lstm", args, {{DType::Float32, seq_shape(seq, params.sequenceoutput(), h)}, {DType::Float32, state},
                                     {DType::Float32, state}});
}

std::vector<Arg> lstm_common(LayerContext& ctx, const spec::LSTMParams& params, const Activations& acts,
                             const std::string& direction) {
    if (acts.size() != 3) ctx.fail("needs 3 activations, got " + std::to_string(acts.size()));
    MilWriter& w = ctx.writer();
    const float clip = cell_clip(params);
    return {{"direction", w.string(direction)},
            {"output_sequence", w.bool_scalar(params.sequenceoutput())},
            {"recurrent_activation", w.string(activation_name(ctx, acts[0]))},
            {"cell_activation", w.string(activation_name(ctx, acts[1]))},
            {"activation", w.string(activation_name(ctx, acts[2]))},
            {"clip", w.float_scalar(clip)}};
}

void translate_unidirectional_lstm(LayerContext& ctx) {
    ctx.require(1, 3, -1);
    const auto& p = ctx.layer().unidirectionallstm();
    const int64_t in = static_cast<int64_t>(p.inputvectorsize()), h = static_cast<int64_t>(p.outputvectorsize());
    const Var seq = sequence_in(ctx, in);
    if (needs_nn_lstm(p.params(), p.activations())) {
        const auto r = nn_lstm(ctx, seq, state_in(ctx, 1, seq, h), state_in(ctx, 2, seq, h), p.weightparams(), p.params(),
                               p.activations(), in, h, p.reverseinput(), false);
        ctx.set_out(0, sequence_out(ctx, r[0]));
        for (size_t i = 1; i < ctx.output_count() && i < 3; ++i) ctx.set_out(i, state_out(ctx, r[i]));
        return;
    }
    std::vector<Arg> args = lstm_common(ctx, p.params(), p.activations(), p.reverseinput() ? "reverse" : "forward");
    args.emplace_back("x", seq);
    args.emplace_back("initial_h", state_in(ctx, 1, seq, h));
    args.emplace_back("initial_c", state_in(ctx, 2, seq, h));
    lstm_weights(ctx, p.weightparams(), p.params(), in, h, "", args);
    const Shape state{seq.dim(1), h};
    const auto r = ctx.ops("lstm", args, {{DType::Float32, seq_shape(seq, p.params().sequenceoutput(), h)},
                                          {DType::Float32, state}, {DType::Float32, state}});
    ctx.set_out(0, sequence_out(ctx, r[0]));
    for (size_t i = 1; i < ctx.output_count() && i < 3; ++i) ctx.set_out(i, state_out(ctx, r[i]));
}

void translate_bidirectional_lstm(LayerContext& ctx) {
    ctx.require(1, 5, -1);
    const auto& p = ctx.layer().bidirectionallstm();
    const int64_t in = static_cast<int64_t>(p.inputvectorsize()), h = static_cast<int64_t>(p.outputvectorsize());
    if (p.weightparams_size() != 2) ctx.fail("needs 2 sets of weights (forward, backward), got " + std::to_string(p.weightparams_size()));
    const Var seq = sequence_in(ctx, in);
    if (p.activationsbackwardlstm_size() != 3) ctx.fail("needs 3 backward activations");
    MilWriter& w = ctx.writer();
    if (ctx.output_count() != 1 && ctx.output_count() != 5)
        ctx.fail("produces 1 or 5 outputs, got " + std::to_string(ctx.output_count()));
    if (needs_nn_lstm(p.params(), p.activationsforwardlstm(), &p.activationsbackwardlstm())) {
        // Two nn_lstm ops; the backward one's sequence is indexed by input position.
        const auto f = nn_lstm(ctx, seq, state_in(ctx, 1, seq, h), state_in(ctx, 2, seq, h), p.weightparams(0), p.params(),
                               p.activationsforwardlstm(), in, h, false, false);
        const auto b = nn_lstm(ctx, seq, state_in(ctx, 3, seq, h), state_in(ctx, 4, seq, h), p.weightparams(1), p.params(),
                               p.activationsbackwardlstm(), in, h, true, true);
        const Var y = ctx.op("concat", {{"values", std::vector<Var>{f[0], b[0]}}, {"axis", w.int_scalar(-1)},
                                        {"interleave", w.bool_scalar(false)}},
                             {DType::Float32, seq_shape(seq, p.params().sequenceoutput(), 2 * h)});
        ctx.set_out(0, sequence_out(ctx, y));
        if (ctx.output_count() == 1) return;
        const Var states[4] = {f[1], f[2], b[1], b[2]};
        for (size_t i = 0; i < 4; ++i) ctx.set_out(1 + i, state_out(ctx, states[i]));
        return;
    }
    std::vector<Arg> args = lstm_common(ctx, p.params(), p.activationsforwardlstm(), "bidirectional");
    args.emplace_back("x", seq);
    // MIL keeps both directions' states side by side: [Batch, 2 * size].
    auto both = [&](size_t fwd, size_t bwd) {
        return ctx.op("concat", {{"values", std::vector<Var>{state_in(ctx, fwd, seq, h), state_in(ctx, bwd, seq, h)}},
                                 {"axis", w.int_scalar(-1)}, {"interleave", w.bool_scalar(false)}},
                      {DType::Float32, {seq.dim(1), 2 * h}});
    };
    args.emplace_back("initial_h", both(1, 3));
    args.emplace_back("initial_c", both(2, 4));
    lstm_weights(ctx, p.weightparams(0), p.params(), in, h, "", args);
    lstm_weights(ctx, p.weightparams(1), p.params(), in, h, "_back", args);
    const Shape state{seq.dim(1), 2 * h};
    const auto r = ctx.ops("lstm", args, {{DType::Float32, seq_shape(seq, p.params().sequenceoutput(), 2 * h)},
                                          {DType::Float32, state}, {DType::Float32, state}});
    ctx.set_out(0, sequence_out(ctx, r[0]));
    if (ctx.output_count() == 1) return;
    // Outputs 1-4: forward h, forward c, backward h, backward c.
    for (size_t s = 0; s < 2; ++s) {
        const auto halves = ctx.ops("split", {{"x", r[1 + s]}, {"axis", w.int_scalar(-1)}, {"num_splits", w.int_scalar(2)}},
                                    {{DType::Float32, {seq.dim(1), h}}, {DType::Float32, {seq.dim(1), h}}});
        ctx.set_out(1 + s, state_out(ctx, halves[0]));
        ctx.set_out(3 + s, state_out(ctx, halves[1]));
    }
}

}  // namespace

OCML_REGISTER_NN_LAYER(kSimpleRecurrent, translate_simple_recurrent)
OCML_REGISTER_NN_LAYER(kGru, translate_gru)
OCML_REGISTER_NN_LAYER(kUniDirectionalLSTM, translate_unidirectional_lstm)
OCML_REGISTER_NN_LAYER(kBiDirectionalLSTM, translate_bidirectional_lstm)

}  // namespace opencoreml::nn
