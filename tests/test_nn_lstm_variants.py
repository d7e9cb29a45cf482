"""LSTM layers MIL's lstm cannot express, run on opencoreml's nn_lstm: coupled input and
forget gates (forget = 1 - input), NN activations outside MIL's recurrent set (with their own
alpha/beta, or per hidden unit), different activations for the two directions of a
biDirectionalLSTM. References:
a numpy LSTM over NeuralNetwork.proto's equations in float64; tolerance 1e-5."""
import numpy as np
import pytest

from nn_runner import check, nn_model, rand
from nn_sequences import BATCH, C0, H, H0, I, S, X, as_blob, gates, seq, state

ACTIVATIONS = {  # name -> (field, alpha, beta, numpy function)
    "sigmoid": ("sigmoid", None, None, lambda x, a, b: 1 / (1 + np.exp(-x))),
    "tanh": ("tanh", None, None, lambda x, a, b: np.tanh(x)),
    "linear": ("linear", 0.7, 0.1, lambda x, a, b: a * x + b),
    "hard_sigmoid": ("sigmoidHard", 0.3, 0.4, lambda x, a, b: np.clip(a * x + b, 0, 1)),
    "scaled_tanh": ("scaledTanh", 1.5, 0.8, lambda x, a, b: a * np.tanh(b * x)),
    "leaky_relu": ("leakyReLU", 0.1, None, lambda x, a, b: np.where(x >= 0, x, a * x)),
    "elu": ("ELU", 0.5, None, lambda x, a, b: np.where(x >= 0, x, a * (np.exp(x) - 1))),
    "softsign": ("softsign", None, None, lambda x, a, b: x / (1 + np.abs(x))),
    "softplus": ("softplus", None, None, lambda x, a, b: np.log1p(np.exp(x))),
    "thresholded_relu": ("thresholdedReLU", 0.2, None, lambda x, a, b: np.where(x >= a, x, 0.0)),
    "relu": ("ReLU", None, None, lambda x, a, b: np.maximum(x, 0)),
    # parameters left unset: MIL's defaults
    "default_hard_sigmoid": ("sigmoidHard", None, None, lambda x, a, b: np.clip(0.2 * x + 0.5, 0, 1)),
    "default_linear": ("linear", None, None, lambda x, a, b: x),
    "default_scaled_tanh": ("scaledTanh", None, None, lambda x, a, b: np.tanh(x)),
}


def act_fn(name):
    _, a, b, f = ACTIVATIONS[name]
    return lambda x: f(x, a, b)


def set_activation(param, name):
    field, alpha, beta, _ = ACTIVATIONS[name]
    param.Clear()
    sub = getattr(param, field)
    sub.SetInParent()
    if alpha is not None:
        sub.alpha = alpha
    if beta is not None:
        sub.beta = beta


def ref_lstm(x, w_x, w_h, b, h0, c0, acts=("sigmoid", "tanh", "tanh"), coupled=False, peep=None, clip=50.0,
             reverse=False):
    """x [S, B, I]; gate lists in [input, forget, output, block input] order. Outputs in
    processing order, final h and c."""
    g, cell, out = (act_fn(a) for a in acts)
    h, c = h0.astype(np.float64), c0.astype(np.float64)
    ys = []
    for t in (range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])):
        pre = [x[t] @ w_x[k].T + h @ w_h[k].T + b[k] for k in range(4)]
        if peep is not None:
            pre[0] = pre[0] + c * peep[0]
            pre[1] = pre[1] + c * peep[1]
        i = g(pre[0])
        f = 1 - i if coupled else g(pre[1])
        c = np.clip(f * c + i * cell(pre[3]), -clip, clip)
        o = g(pre[2] + (c * peep[2] if peep is not None else 0.0))
        h = o * out(c)
        ys.append(h)
    return np.stack(ys), h, c


W = dict(wx=gates(4, H, I, 40), wh=gates(4, H, H, 50), b=gates(4, H, 0, 60))
WB = dict(wx=gates(4, H, I, 90), wh=gates(4, H, H, 100), b=gates(4, H, 0, 110))


def uni_model(acts, coupled, peep=None, reverse=False, output_all=True, clip=50.0):
    def build(bl):
        layer = bl.add_unilstm("lstm", W["wh"], W["wx"], W["b"], H, I, ["x", "h0", "c0"], ["y", "h", "c"], peep=peep,
                               output_all=output_all, coupled_input_forget_gate=coupled, reverse_input=reverse,
                               cell_clip_threshold=clip)
        for param, name in zip(layer.uniDirectionalLSTM.activations, acts):
            set_activation(param, name)
    return nn_model(build, {"x": X, "h0": H0, "c0": C0}, outputs=("y", "h", "c"), rank5=False)


@pytest.mark.parametrize("peep", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_coupled_input_and_forget_gate(peep, reverse):
    p = gates(3, H, 0, 70) if peep else None
    acts = ("sigmoid", "tanh", "tanh")
    out = uni_model(acts, True, peep=p, reverse=reverse).predict({"x": X, "h0": H0, "c0": C0})
    ys, h, c = ref_lstm(seq(X), W["wx"], W["wh"], W["b"], state(H0), state(C0), acts, coupled=True, peep=p, reverse=reverse)
    check(out["y"], as_blob(ys))
    check(out["h"], h[None, ..., None, None])
    check(out["c"], c[None, ..., None, None])


@pytest.mark.parametrize("acts", [
    ("hard_sigmoid", "linear", "scaled_tanh"),
    ("sigmoid", "leaky_relu", "elu"),
    ("sigmoid", "softsign", "softplus"),
    ("hard_sigmoid", "thresholded_relu", "relu"),
])
@pytest.mark.parametrize("coupled", [False, True])
def test_nn_activations_outside_mils_set(acts, coupled):
    out = uni_model(acts, coupled, output_all=False, clip=3.0).predict({"x": X, "h0": H0, "c0": C0})
    ys, h, c = ref_lstm(seq(X), W["wx"], W["wh"], W["b"], state(H0), state(C0), acts, coupled=coupled, clip=3.0)
    check(out["y"], as_blob(ys[-1:]))
    check(out["c"], c[None, ..., None, None])


@pytest.mark.parametrize("output_all", [True, False])
@pytest.mark.parametrize("back_acts", [("sigmoid", "tanh", "tanh"), ("hard_sigmoid", "softsign", "tanh")])
def test_bidirectional_coupled_and_mixed_activations(output_all, back_acts):
    fwd_acts = ("sigmoid", "tanh", "tanh")
    h0b, c0b = rand(1, BATCH, H, 1, 1, seed=120), rand(1, BATCH, H, 1, 1, seed=121)
    names = ("y", "hf", "cf", "hb", "cb")

    def build(bl):
        layer = bl.add_bidirlstm("bi", W["wh"], W["wx"], W["b"], WB["wh"], WB["wx"], WB["b"], H, I,
                                 ["x", "h0", "c0", "h0b", "c0b"], list(names), output_all=output_all,
                                 coupled_input_forget_gate=True)
        for param, name in zip(layer.biDirectionalLSTM.activationsBackwardLSTM, back_acts):
            set_activation(param, name)

    inputs = {"x": X, "h0": H0, "c0": C0, "h0b": h0b, "c0b": c0b}
    outs = nn_model(build, inputs, outputs=names, rank5=False).predict(inputs)
    yf, hf, cf = ref_lstm(seq(X), W["wx"], W["wh"], W["b"], state(H0), state(C0), fwd_acts, coupled=True)
    yb, hb, cb = ref_lstm(seq(X), WB["wx"], WB["wh"], WB["b"], state(h0b), state(c0b), back_acts, coupled=True, reverse=True)
    # Each step's backward half is the backward LSTM's output at that input position; without
    # the sequence, the final states side by side.
    y = np.concatenate([yf, yb[::-1]], axis=-1) if output_all else np.concatenate([hf, hb], axis=-1)[None]
    check(outs["y"], as_blob(y))
    for name, ref in zip(names[1:], (hf, cf, hb, cb)):
        check(outs[name], ref[None, ..., None, None])


PRELU_ALPHA = np.array([0.1, -0.3, 0.5, 0.05], np.float32)  # one per hidden unit
SOFTPLUS_ALPHA, SOFTPLUS_BETA = np.array([1.5], np.float32), np.array([0.5, 1.0, 2.0, 0.8], np.float32)


def set_per_unit(param, kind):
    param.Clear()
    if kind == "prelu":
        param.PReLU.alpha.floatValue.extend(PRELU_ALPHA)
    else:
        param.parametricSoftplus.alpha.floatValue.extend(SOFTPLUS_ALPHA)
        param.parametricSoftplus.beta.floatValue.extend(SOFTPLUS_BETA)


ACTIVATIONS["prelu"] = ("PReLU", None, None, lambda x, a, b: np.where(x >= 0, x, PRELU_ALPHA * x))
ACTIVATIONS["parametric_softplus"] = ("parametricSoftplus", None, None,
                                      lambda x, a, b: SOFTPLUS_ALPHA * np.log1p(np.exp(SOFTPLUS_BETA * x)))


@pytest.mark.parametrize("coupled", [False, True])
def test_per_unit_activations(coupled):
    """PReLU with one alpha per hidden unit; parametric softplus with one alpha for all units
    and one beta per unit."""
    def build(bl):
        layer = bl.add_unilstm("lstm", W["wh"], W["wx"], W["b"], H, I, ["x", "h0", "c0"], ["y", "h", "c"], output_all=True,
                               coupled_input_forget_gate=coupled)
        set_per_unit(layer.uniDirectionalLSTM.activations[1], "prelu")
        set_per_unit(layer.uniDirectionalLSTM.activations[2], "parametric_softplus")

    out = nn_model(build, {"x": X, "h0": H0, "c0": C0}, outputs=("y", "h", "c"), rank5=False).predict({"x": X, "h0": H0, "c0": C0})
    ys, h, c = ref_lstm(seq(X), W["wx"], W["wh"], W["b"], state(H0), state(C0), ("sigmoid", "prelu", "parametric_softplus"),
                        coupled=coupled)
    check(out["y"], as_blob(ys))
    check(out["c"], c[None, ..., None, None])


def test_per_unit_activation_with_a_wrong_count_names_the_layer():
    def build(bl):
        layer = bl.add_unilstm("lstm", W["wh"], W["wx"], W["b"], H, I, ["x", "h0", "c0"], ["y", "h", "c"])
        act = layer.uniDirectionalLSTM.activations[1]
        act.Clear()
        act.PReLU.alpha.floatValue.extend([0.1] * (H - 1))
    with pytest.raises(Exception, match="'lstm'.*activation alpha"):
        nn_model(build, {"x": X, "h0": H0, "c0": C0}, outputs=("y", "h", "c"), rank5=False).predict(
            {"x": X, "h0": H0, "c0": C0})


def test_builder_activations_without_parameters_take_mils_defaults():
    """coremltools' builder writes LINEAR / SIGMOID_HARD / SCALED_TANH with unset (zero)
    parameters; Core ML runs them as identity, 0.2 x + 0.5 and tanh."""
    for names, refs in ((("SIGMOID_HARD", "LINEAR", "SCALED_TANH"), ("default_hard_sigmoid", "default_linear", "default_scaled_tanh")),
                        (("SIGMOID_HARD", "TANH", "TANH"), ("default_hard_sigmoid", "tanh", "tanh"))):
        for coupled in (False, True):
            model = nn_model(lambda bl: bl.add_unilstm("lstm", W["wh"], W["wx"], W["b"], H, I, ["x", "h0", "c0"], ["y", "h", "c"],
                                                       inner_activation=names[0], cell_state_update_activation=names[1],
                                                       output_activation=names[2], output_all=True,
                                                       coupled_input_forget_gate=coupled),
                             {"x": X, "h0": H0, "c0": C0}, outputs=("y", "h", "c"), rank5=False)
            spec_acts = model.get_spec().neuralNetwork.layers[0].uniDirectionalLSTM.activations
            assert spec_acts[0].sigmoidHard.alpha == 0 and spec_acts[0].sigmoidHard.beta == 0
            out = model.predict({"x": X, "h0": H0, "c0": C0})
            ys, h, c = ref_lstm(seq(X), W["wx"], W["wh"], W["b"], state(H0), state(C0), refs, coupled=coupled)
            check(out["y"], as_blob(ys))
            check(out["c"], c[None, ..., None, None])


def test_gru_with_the_builders_default_hard_sigmoid():
    """add_gru's default inner activation is SIGMOID_HARD with unset parameters: 0.2 x + 0.5."""
    wx, wh, b = gates(3, H, I, 10), gates(3, H, H, 20), gates(3, H, 0, 30)
    hard = act_fn("default_hard_sigmoid")
    model = nn_model(lambda bl: bl.add_gru("gru", wh, wx, b, H, I, ["x", "h0"], ["y", "h"], output_all=True),
                     {"x": X, "h0": H0}, outputs=("y", "h"), rank5=False)
    assert model.get_spec().neuralNetwork.layers[0].gru.activations[0].WhichOneof("NonlinearityType") == "sigmoidHard"
    out = model.predict({"x": X, "h0": H0})
    h, ys = state(H0), []
    for t in range(S):  # NN GRU, gates [update, reset, output]: the reset gate scales h before recursion
        xt = seq(X)[t]
        z = hard(xt @ wx[0].T + h @ wh[0].T + b[0])
        r = hard(xt @ wx[1].T + h @ wh[1].T + b[1])
        o = np.tanh(xt @ wx[2].T + (r * h) @ wh[2].T + b[2])
        h = (1 - z) * o + z * h
        ys.append(h)
    check(out["y"], as_blob(np.stack(ys)))
    check(out["h"], h[None, ..., None, None])
