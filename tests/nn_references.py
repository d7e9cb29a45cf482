"""numpy references for the neural-network layers whose formulas take more than a line:
windowed ops (convolution, deconvolution, pooling) and recurrent layers, written from the
equations in NeuralNetwork.proto."""
import numpy as np


def pad_hw(x, top, bottom, left, right, value=0.0):
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)], constant_values=value)


def same_pads(size, kernel, stride, top_left_heavy=False):
    """NN "same" padding of one dim: (before, after)."""
    out = -(-size // stride)
    total = max(0, (out - 1) * stride + kernel - size)
    small = total // 2
    return (total - small, small) if top_left_heavy else (small, total - small)


def conv2d(x, w, b=None, stride=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0), groups=1):
    """x [N, C, H, W], w [O, C / groups, kh, kw], pads (top, bottom, left, right)."""
    x = pad_hw(x.astype(np.float64), *pads)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ekh, ekw = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    ho, wo = (h - ekh) // stride[0] + 1, (wd - ekw) // stride[1] + 1
    out = np.zeros((n, o, ho, wo))
    og = o // groups
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg]
        ws = w[g * og:(g + 1) * og].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dilation[0]:i * dilation[0] + stride[0] * ho:stride[0],
                           j * dilation[1]:j * dilation[1] + stride[1] * wo:stride[1]]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, ws[:, :, i, j])
    if b is not None:
        out += np.asarray(b, np.float64).reshape(1, -1, 1, 1)
    return out


def deconv2d(x, w, b=None, stride=(1, 1), crop=(0, 0, 0, 0), groups=1, output_hw=None):
    """x [N, C, H, W], w [C, O / groups, kh, kw]; the full result cropped by (top, bottom,
    left, right), or to output_hw starting at (top, left)."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = c // groups
    full = np.zeros((n, og * groups, (h - 1) * stride[0] + kh, (wd - 1) * stride[1] + kw))
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                contrib = np.einsum("nchw,co->nohw", x[:, g * cg:(g + 1) * cg].astype(np.float64),
                                    w[g * cg:(g + 1) * cg, :, i, j].astype(np.float64))
                full[:, g * og:(g + 1) * og, i:i + stride[0] * h:stride[0], j:j + stride[1] * wd:stride[1]] += contrib
    top, bottom, left, right = crop
    if output_hw is None:
        out = full[:, :, top:full.shape[2] - bottom, left:full.shape[3] - right]
    else:
        out = np.zeros((n, og * groups) + tuple(output_hw))
        part = full[:, :, top:top + output_hw[0], left:left + output_hw[1]]
        out[:, :, :part.shape[2], :part.shape[3]] = part
    if b is not None:
        out = out + np.asarray(b, np.float64).reshape(1, -1, 1, 1)
    return out


def pool2d(x, kind, kernel, stride, pads=(0, 0, 0, 0), exclude_pad=True, out_hw=None):
    """MAX / AVERAGE / L2 pooling of x [N, C, H, W] with zero-area padding (never selected by
    max, optionally not counted by average). out_hw overrides the window count (ceil modes)."""
    n, c, h, w = x.shape
    top, bottom, left, right = pads
    if out_hw is None:
        out_hw = ((h + top + bottom - kernel[0]) // stride[0] + 1, (w + left + right - kernel[1]) // stride[1] + 1)
    out = np.zeros((n, c) + tuple(out_hw))
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            r0, c0 = i * stride[0] - top, j * stride[1] - left
            r1, c1 = r0 + kernel[0], c0 + kernel[1]
            win = x[:, :, max(r0, 0):min(r1, h), max(c0, 0):min(c1, w)].astype(np.float64)
            if kind == "MAX":
                out[:, :, i, j] = win.max(axis=(2, 3))
            elif kind == "L2":
                out[:, :, i, j] = np.sqrt((win ** 2).sum(axis=(2, 3)))
            else:
                count = win.shape[2] * win.shape[3] if exclude_pad else \
                    (min(r1, h + bottom) - r0) * (min(c1, w + right) - c0)
                out[:, :, i, j] = win.sum(axis=(2, 3)) / count
    return out


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def lstm(x, w_x, w_h, b, h0, c0, peep=None, forget_bias=False, clip=50000.0, reverse=False):
    """x [S, B, I]; gate lists in [input, forget, output, block input] order (peep: [i, f, o]).
    Returns (outputs [S, B, H] in processing order, h, c)."""
    h, c = h0.astype(np.float64), c0.astype(np.float64)
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    bias = [np.zeros(h.shape[-1]) if b is None else b[k].astype(np.float64) for k in range(4)]
    if forget_bias:
        bias[1] = bias[1] + 1.0
    ys = []
    for t in steps:
        pre = [x[t] @ w_x[k].T + h @ w_h[k].T + bias[k] for k in range(4)]
        if peep is not None:
            pre[0] = pre[0] + c * peep[0]
            pre[1] = pre[1] + c * peep[1]
        i, f, z = sigmoid(pre[0]), sigmoid(pre[1]), np.tanh(pre[3])
        c = np.clip(f * c + i * z, -clip, clip)
        o_pre = pre[2] + (c * peep[2] if peep is not None else 0.0)
        h = sigmoid(o_pre) * np.tanh(c)
        ys.append(h)
    return np.stack(ys), h, c


def gru(x, w_x, w_h, b, h0):
    """x [S, B, I]; gate lists in [update, reset, output] order; NN's GRU: the reset gate
    scales h before the output gate's recursion."""
    h = h0.astype(np.float64)
    bias = [np.zeros(h.shape[-1]) if b is None else b[k] for k in range(3)]
    ys = []
    for t in range(x.shape[0]):
        z = sigmoid(x[t] @ w_x[0].T + h @ w_h[0].T + bias[0])
        r = sigmoid(x[t] @ w_x[1].T + h @ w_h[1].T + bias[1])
        o = np.tanh(x[t] @ w_x[2].T + (r * h) @ w_h[2].T + bias[2])
        h = (1 - z) * o + z * h
        ys.append(h)
    return np.stack(ys), h


def simple_rnn(x, w_x, w_h, b, h0):
    h = h0.astype(np.float64)
    ys = []
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ w_x.T + h @ w_h.T + b)
        ys.append(h)
    return np.stack(ys), h
