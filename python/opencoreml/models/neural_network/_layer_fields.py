"""Small helpers the builder's layer methods share: enum look-ups with coremltools'
error messages, name-list normalisation, and the optional ``inputTensor`` /
``outputTensor`` rank and shape annotations of a layer."""
import numbers as _numbers

import numpy as _np


def upper(value):
    return value.upper() if isinstance(value, str) else value


def lower(value):
    return value.lower() if isinstance(value, str) else value


def enum_value(enum_type, name, error):
    """The number of ``name`` in the protobuf enum ``enum_type``; ``error`` (an exception
    instance) is raised for an unknown name."""
    try:
        return enum_type.Value(name)
    except (ValueError, TypeError):
        raise error from None


def name_list(names):
    """A layer's blob names given as a string, tuple or list, as a list."""
    if isinstance(names, str):
        return [names]
    return list(names)


def _is_int(value):
    return isinstance(value, (_numbers.Integral, _np.integer)) and not isinstance(value, bool)


def fill_tensor_fields(tensors, ranks=None, shapes=None):
    """Annotate ``tensors`` (a repeated ``Tensor`` field) with ranks and, optionally, shapes.

    ``ranks`` / ``shapes`` hold one entry per blob; ``None`` entries are skipped, a
    non-integer rank or dimension (a symbol) is written as -1. Ranks default to the
    lengths of ``shapes``.
    """
    if ranks is None and shapes is None:
        return
    if ranks is None:
        ranks = [None if shape is None else len(shape) for shape in shapes]
    if shapes is not None and len(ranks) != len(shapes):
        raise ValueError("Number of rank and shape of tensor field does not match.")

    for index, rank in enumerate(ranks):
        if rank is None:
            continue
        tensor = tensors.add()
        tensor.rank = int(rank) if _is_int(rank) else -1
        shape = shapes[index] if shapes is not None else None
        if shape is None:
            continue
        if _is_int(rank) and rank != len(shape):
            raise ValueError("Rank and shape does not match")
        tensor.dimValue.extend(int(d) if _is_int(d) else -1 for d in shape)
