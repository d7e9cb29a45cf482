"""Recurrent neural-network layers (simpleRecurrent, gru, uniDirectionalLSTM,
biDirectionalLSTM) against numpy implementations of NeuralNetwork.proto's equations:
sequences [Seq, Batch, size, 1, 1], given or zero initial states, final states as outputs.
Tolerance 1e-5: float32 recurrences over a few steps."""
import numpy as np
import pytest

from nn_references import gru, lstm, simple_rnn
from nn_runner import check, nn_predict, rand
from nn_sequences import BATCH, C0, H, H0, I, X, as_blob, gates, seq, state

def test_simple_recurrent():
    wx, wh, b = rand(H, I, seed=4), rand(H, H, seed=5), rand(H, seed=6)
    outs = nn_predict(lambda bl: bl.add_simple_rnn("rnn", wh, wx, b, H, I, "TANH", ["x", "h0"], ["y", "h"], output_all=True),
                      {"x": X, "h0": H0}, outputs=("y", "h"), rank5=False)
    ys, h = simple_rnn(seq(X), wx, wh, b, state(H0))
    check(outs["y"], as_blob(ys))
    check(outs["h"], h[None, ..., None, None])


@pytest.mark.parametrize("output_all", [True, False])
def test_gru(output_all):
    wx, wh, b = gates(3, H, I, 10), gates(3, H, H, 20), gates(3, H, 0, 30)
    outs = nn_predict(lambda bl: bl.add_gru("gru", wh, wx, b, H, I, ["x", "h0"], ["y", "h"], activation="TANH",
                                            inner_activation="SIGMOID", output_all=output_all),
                      {"x": X, "h0": H0}, outputs=("y", "h"), rank5=False)
    ys, h = gru(seq(X), wx, wh, b, state(H0))
    check(outs["y"], as_blob(ys if output_all else ys[-1:]))
    check(outs["h"], h[None, ..., None, None])


@pytest.mark.parametrize("peep,forget_bias,clip", [(False, False, 50000.0), (True, True, 0.5)])
def test_unidirectional_lstm(peep, forget_bias, clip):
    wx, wh, b = gates(4, H, I, 40), gates(4, H, H, 50), gates(4, H, 0, 60)
    p = gates(3, H, 0, 70) if peep else None
    outs = nn_predict(lambda bl: bl.add_unilstm("lstm", wh, wx, b, H, I, ["x", "h0", "c0"], ["y", "h", "c"], peep=p,
                                                output_all=True, forget_bias=forget_bias, cell_clip_threshold=clip),
                      {"x": X, "h0": H0, "c0": C0}, outputs=("y", "h", "c"), rank5=False)
    ys, h, c = lstm(seq(X), wx, wh, b, state(H0), state(C0), peep=p, forget_bias=forget_bias, clip=clip)
    check(outs["y"], as_blob(ys))
    check(outs["h"], h[None, ..., None, None])
    check(outs["c"], c[None, ..., None, None])


def test_lstm_without_initial_state_starts_from_zeros():
    wx, wh, b = gates(4, H, I, 40), gates(4, H, H, 50), gates(4, H, 0, 60)
    out = nn_predict(lambda bl: bl.add_unilstm("lstm", wh, wx, b, H, I, ["x"], ["y"]), {"x": X}, rank5=False)["y"]
    zeros = np.zeros((BATCH, H))
    ys, _, _ = lstm(seq(X), wx, wh, b, zeros, zeros)
    check(out, as_blob(ys[-1:]))


def test_lstm_in_a_classic_network():
    """Rank-5 mapping: a [I] input is a sequence of one step."""
    wx, wh, b = gates(4, H, I, 40), gates(4, H, H, 50), gates(4, H, 0, 60)
    x = rand(I, seed=80)
    out = nn_predict(lambda bl: bl.add_unilstm("lstm", wh, wx, b, H, I, ["x"], ["y"]), {"x": x})["y"]
    ys, _, _ = lstm(x.reshape(1, 1, I).astype(np.float64), wx, wh, b, np.zeros((1, H)), np.zeros((1, H)))
    check(out, ys.reshape(H), exact_shape=False)


def test_bidirectional_lstm():
    wx, wh, b = gates(4, H, I, 40), gates(4, H, H, 50), gates(4, H, 0, 60)
    wxb, whb, bb = gates(4, H, I, 90), gates(4, H, H, 100), gates(4, H, 0, 110)
    h0b, c0b = rand(1, BATCH, H, 1, 1, seed=120), rand(1, BATCH, H, 1, 1, seed=121)
    names = ("y", "hf", "cf", "hb", "cb")
    outs = nn_predict(lambda bl: bl.add_bidirlstm("bi", wh, wx, b, whb, wxb, bb, H, I,
                                                  ["x", "h0", "c0", "h0b", "c0b"], list(names), output_all=True),
                      {"x": X, "h0": H0, "c0": C0, "h0b": h0b, "c0b": c0b}, outputs=names, rank5=False)
    yf, hf, cf = lstm(seq(X), wx, wh, b, state(H0), state(C0))
    yb, hb, cb = lstm(seq(X), wxb, whb, bb, state(h0b), state(c0b), reverse=True)
    # The backward half of each step is the backward LSTM's output at that input position.
    check(outs["y"], as_blob(np.concatenate([yf, yb[::-1]], axis=-1)))
    for name, ref in zip(names[1:], (hf, cf, hb, cb)):
        check(outs[name], ref[None, ..., None, None])
