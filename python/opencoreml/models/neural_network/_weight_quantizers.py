"""The numerics of weight quantization: per-channel linear quantization (asymmetric or
symmetric), linear and k-means look-up tables (a weighted 1-D Lloyd's k-means in
numpy), and the matching dequantization."""
import numpy as _np

_TINY_SCALE = 1e-6  # below this a channel is treated as constant


def _channels_first(weight, axis):
    """``weight`` with ``axis`` moved first and the rest flattened: (channels, values)."""
    if weight.ndim == 1:
        weight = weight.reshape(1, -1)
    if axis == 1:
        weight = _np.swapaxes(weight, 0, 1)
    return weight, weight.shape


def _restore(flat, moved_shape, axis):
    array = flat.reshape(moved_shape)
    return _np.swapaxes(array, 0, 1) if axis == 1 else array


def _quantize_channelwise_linear(weight, nbits, axis=0, symmetric=False):
    """Quantize ``weight`` to ``nbits``-bit codes, one (scale, bias) per slice along
    ``axis`` (0 or 1), so that weight ~= code * scale + bias.

    Asymmetric: bias is the channel minimum and the codes span [min, max]. Symmetric: the
    range is [-A, A] with A = max |w|, bias = -2**(nbits-1) * scale. Returns (codes as
    float, scale, bias); a constant channel gets scale 0 and codes 0.
    """
    weight = _np.asarray(weight, dtype=_np.float64)
    original_shape = weight.shape
    moved, moved_shape = _channels_first(weight, axis)
    flat = moved.reshape(moved_shape[0], -1)
    low, high = flat.min(axis=1), flat.max(axis=1)
    levels = 1 << nbits
    if symmetric:
        scale = _np.maximum(_np.abs(low), _np.abs(high)) / (levels / 2.0 - 1)
        bias = -(levels / 2.0) * scale
    else:
        scale = (high - low) / (levels - 1)
        bias = low
    inverse = _np.divide(1.0, scale, out=_np.zeros_like(scale), where=_np.abs(scale) > _TINY_SCALE)
    codes = _np.round((flat - bias[:, None]) * inverse[:, None])
    codes = _np.clip(codes, 0, levels - 1)
    return _restore(codes, moved_shape, axis).reshape(original_shape), scale, bias


def _get_linear_lookup_table_and_weight(nbits, wp):
    """A look-up table of 2**nbits evenly spaced values over [min(wp), max(wp)] and the
    codes of ``wp`` into it."""
    codes, scale, bias = _quantize_channelwise_linear(_np.asarray(wp).reshape(1, -1), nbits, axis=0)
    lut = _np.arange(1 << nbits) * scale[0] + bias[0]
    return lut, codes


def _kmeans_1d(values, counts, clusters, iterations=100):
    """Weighted Lloyd's k-means of sorted distinct ``values`` (with multiplicities
    ``counts``) into ``clusters`` centroids; returns (centroids, label of each value)."""
    cumulative = _np.cumsum(counts) - 0.5 * counts
    quantiles = (_np.arange(clusters) + 0.5) / clusters * counts.sum()
    centroids = values[_np.searchsorted(cumulative, quantiles).clip(0, len(values) - 1)].astype(_np.float64)
    centroids = _np.unique(centroids)
    labels = None
    for _ in range(iterations):
        # In 1-D the nearest centroid changes at the midpoints between sorted centroids.
        boundaries = (centroids[1:] + centroids[:-1]) / 2.0
        new_labels = _np.searchsorted(boundaries, values)
        if labels is not None and _np.array_equal(new_labels, labels):
            break
        labels = new_labels
        weight_sum = _np.bincount(labels, weights=counts, minlength=len(centroids))
        value_sum = _np.bincount(labels, weights=counts * values, minlength=len(centroids))
        used = weight_sum > 0
        centroids = _np.where(used, value_sum / _np.where(used, weight_sum, 1.0), centroids)
    return centroids, labels


def _get_kmeans_lookup_table_and_weight(nbits, weight, force_kmeans1d=False, cluster_dim=1, vector_axis=None):
    """A look-up table of 2**nbits k-means centroids of ``weight`` and each weight's
    code. Only scalar clusters (``cluster_dim`` 1) are supported; when ``weight`` has no
    more distinct values than table entries they are used exactly."""
    if cluster_dim != 1:
        raise NotImplementedError("Only scalar (cluster_dim=1) k-means palettization is supported.")
    flat = _np.asarray(weight, dtype=_np.float64).reshape(-1)
    size = 1 << nbits
    lut = _np.zeros(size)
    values, inverse, counts = _np.unique(flat, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    if len(values) <= size:
        lut[: len(values)] = values
        return lut, inverse
    centroids, labels = _kmeans_1d(values, counts.astype(_np.float64), size)
    lut[: len(centroids)] = centroids
    return lut, labels[inverse]


def _dequantize_linear(weight_8bit, scale, bias, axis=0):
    """code * scale + bias with per-channel (along ``axis``) or single scale and bias."""
    codes = _np.asarray(weight_8bit, dtype=_np.float64)
    original_shape = codes.shape
    moved, moved_shape = _channels_first(codes, axis)
    flat = moved.reshape(moved_shape[0], -1)
    scale = _np.asarray(scale, dtype=_np.float64).reshape(-1, 1)
    bias = _np.asarray(bias, dtype=_np.float64).reshape(-1, 1)
    return _restore(flat * scale + bias, moved_shape, axis).reshape(original_shape)


def _dequantize_lut(weight_8bit, lut):
    return _np.asarray(lut)[_np.asarray(weight_8bit).astype(_np.uint8)]
