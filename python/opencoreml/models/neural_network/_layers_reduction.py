"""Builder methods for rank-N layers that reduce, rank or accumulate along axes:
reduce_* (sum, prod, mean, max, min, l1, l2, sum of squares, log-sum, log-sum-exp),
argmax/argmin, top-k, argsort and cumulative sum."""
from ... import _enums


def _reduce_method(method_name, field, what):
    def method(self, name, input_name, output_name, axes=None, keepdims=True, reduce_all=False):
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = getattr(layer, field)
        params.SetInParent()
        if axes is not None and len(axes) != 0:
            params.axes.extend(int(axis) for axis in axes)
        else:
            reduce_all = True
        params.keepDims = keepdims
        params.reduceAll = reduce_all
        self._set_rank_for_reduce_op(input_name, output_name, axes, keepdims, reduce_all)
        return layer

    method.__name__ = method_name
    method.__qualname__ = "ReductionLayers." + method_name
    method.__doc__ = (
        "Reduce the input by its %s along ``axes`` (all axes when ``axes`` is empty or "
        "``reduce_all``), keeping reduced axes as size 1 when ``keepdims``." % what
    )
    return method


def _arg_extreme(builder, name, input_name, output_name, field, axis, keepdims):
    layer = builder._add_generic_layer(name, [input_name], [output_name])
    params = getattr(layer, field)
    params.SetInParent()
    params.axis = axis
    params.removeDim = not keepdims
    rank = builder._get_rank(input_name)
    builder.rank_dict[output_name] = 1 if rank == 1 else (rank if keepdims else rank - 1)
    return layer


class ReductionLayers:
    add_reduce_sum = _reduce_method("add_reduce_sum", "reduceSum", "sum")
    add_reduce_prod = _reduce_method("add_reduce_prod", "reduceProd", "product")
    add_reduce_mean = _reduce_method("add_reduce_mean", "reduceMean", "mean")
    add_reduce_max = _reduce_method("add_reduce_max", "reduceMax", "maximum")
    add_reduce_min = _reduce_method("add_reduce_min", "reduceMin", "minimum")
    add_reduce_l2 = _reduce_method("add_reduce_l2", "reduceL2", "L2 norm")
    add_reduce_l1 = _reduce_method("add_reduce_l1", "reduceL1", "L1 norm")
    add_reduce_sumsquare = _reduce_method("add_reduce_sumsquare", "reduceSumSquare", "sum of squares")
    add_reduce_logsum = _reduce_method("add_reduce_logsum", "reduceLogSum", "log of the sum")
    add_reduce_logsumexp = _reduce_method("add_reduce_logsumexp", "reduceLogSumExp", "log of the sum of exponentials")

    def add_argmax(self, name, input_name, output_name, axis, keepdims=True):
        """Index of the largest value along ``axis``."""
        return _arg_extreme(self, name, input_name, output_name, "argMax", axis, keepdims)

    def add_argmin(self, name, input_name, output_name, axis, keepdims=True):
        """Index of the smallest value along ``axis``."""
        return _arg_extreme(self, name, input_name, output_name, "argMin", axis, keepdims)

    def add_topk(self, name, input_names, output_names, k=0, axis=0, use_bottom_k=False):
        """The ``k`` largest (smallest with ``use_bottom_k``) values along ``axis`` and
        their indices (outputs [values, indices]); a second input, if given, supplies k."""
        layer = self._add_generic_layer(name, input_names, output_names)
        params = layer.topK
        params.SetInParent()
        params.axis = axis
        params.K = k
        params.useBottomK = use_bottom_k
        return layer

    def add_argsort(self, name, input_name, output_name, axis=0, descending=False):
        """Indices that sort the input along ``axis``. Needs specification version 5."""
        self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.argSort.SetInParent()
        layer.argSort.axis = int(axis)
        layer.argSort.descending = descending
        return layer

    def add_cumsum(self, name, input_names, output_name, axis=-1, reverse=False, exclusive=False):
        """Cumulative sum along ``axis`` (from the end when ``reverse``; ``exclusive``
        leaves each element out of its own sum). Needs specification version 5."""
        self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.cumSum
        params.SetInParent()
        params.axis = axis
        params.reverse = reverse
        params.excludeFinalSum = exclusive
        return layer
