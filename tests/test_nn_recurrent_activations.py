"""gru and simpleRecurrent layers with NN activations MIL's gru / rnn lack (leaky ReLU, ELU,
softsign, softplus, thresholded ReLU, linear / hard sigmoid / scaled tanh with their own
alpha and beta, PReLU and parametric softplus per hidden unit), run on nn_gru / nn_rnn. References: numpy over NeuralNetwork.proto's
equations (float64), forward and reverse, tolerance 1e-5."""
import numpy as np
import pytest

from nn_runner import check, nn_model
from nn_sequences import BATCH, H, H0, I, X, as_blob, gates, seq, state
from test_nn_lstm_variants import act_fn, set_activation, set_per_unit


def ref_gru(x, wx, wh, b, h0, acts, reverse=False):
    """gate lists in [update, reset, output] order."""
    f, g = act_fn(acts[0]), act_fn(acts[1])
    h, ys = h0, []
    for t in (range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])):
        z = f(x[t] @ wx[0].T + h @ wh[0].T + b[0])
        r = f(x[t] @ wx[1].T + h @ wh[1].T + b[1])
        o = g(x[t] @ wx[2].T + (r * h) @ wh[2].T + b[2])
        h = (1 - z) * o + z * h
        ys.append(h)
    return np.stack(ys), h


def ref_rnn(x, wx, wh, b, h0, act, reverse=False):
    f = act_fn(act)
    h, ys = h0, []
    for t in (range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])):
        h = f(x[t] @ wx.T + h @ wh.T + b)
        ys.append(h)
    return np.stack(ys), h


@pytest.mark.parametrize("acts", [("hard_sigmoid", "elu"), ("sigmoid", "softsign"), ("hard_sigmoid", "leaky_relu"),
                                  ("scaled_tanh", "softplus")])
@pytest.mark.parametrize("reverse,output_all", [(False, True), (True, True), (True, False)])
def test_gru(acts, reverse, output_all):
    wx, wh, b = gates(3, H, I, 10), gates(3, H, H, 20), gates(3, H, 0, 30)

    def build(bl):
        layer = bl.add_gru("gru", wh, wx, b, H, I, ["x", "h0"], ["y", "h"], output_all=output_all, reverse_input=reverse)
        for param, name in zip(layer.gru.activations, acts):
            set_activation(param, name)

    out = nn_model(build, {"x": X, "h0": H0}, outputs=("y", "h"), rank5=False).predict({"x": X, "h0": H0})
    ys, h = ref_gru(seq(X), wx, wh, b, state(H0), acts, reverse)
    check(out["y"], as_blob(ys if output_all else ys[-1:]))
    check(out["h"], h[None, ..., None, None])


@pytest.mark.parametrize("act", ["elu", "softsign", "thresholded_relu", "linear", "hard_sigmoid"])
@pytest.mark.parametrize("reverse", [False, True])
def test_simple_recurrent(act, reverse):
    wx, wh, b = gates(1, H, I, 40)[0], gates(1, H, H, 50)[0], gates(1, H, 0, 60)[0]

    def build(bl):
        layer = bl.add_simple_rnn("rnn", wh, wx, b, H, I, "TANH", ["x", "h0"], ["y", "h"], output_all=True,
                                  reverse_input=reverse)
        set_activation(layer.simpleRecurrent.activation, act)

    out = nn_model(build, {"x": X, "h0": H0}, outputs=("y", "h"), rank5=False).predict({"x": X, "h0": H0})
    ys, h = ref_rnn(seq(X), wx, wh, b, state(H0), act, reverse)
    check(out["y"], as_blob(ys))
    check(out["h"], h[None, ..., None, None])


def test_gru_without_initial_state_and_per_unit_activation():
    wx, wh, b = gates(3, H, I, 10), gates(3, H, H, 20), gates(3, H, 0, 30)

    def build(bl):
        layer = bl.add_gru("gru", wh, wx, b, H, I, ["x"], ["y"], output_all=True)
        set_per_unit(layer.gru.activations[1], "prelu")

    out = nn_model(build, {"x": X}, rank5=False).predict({"x": X})["y"]
    ys, _ = ref_gru(seq(X), wx, wh, b, np.zeros((BATCH, H)), ("default_hard_sigmoid", "prelu"))
    check(out, as_blob(ys))


def test_simple_recurrent_parametric_softplus():
    wx, wh, b = gates(1, H, I, 40)[0], gates(1, H, H, 50)[0], gates(1, H, 0, 60)[0]

    def build(bl):
        layer = bl.add_simple_rnn("rnn", wh, wx, b, H, I, "TANH", ["x", "h0"], ["y", "h"], output_all=True)
        set_per_unit(layer.simpleRecurrent.activation, "parametric_softplus")

    out = nn_model(build, {"x": X, "h0": H0}, outputs=("y", "h"), rank5=False).predict({"x": X, "h0": H0})
    ys, h = ref_rnn(seq(X), wx, wh, b, state(H0), "parametric_softplus")
    check(out["y"], as_blob(ys))
