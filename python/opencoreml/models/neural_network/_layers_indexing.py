"""Builder methods for rank-N layers that read or write by index: gather and scatter
(plain, along an axis, N-d), one-hot, where-nonzero and non-maximum suppression."""
from ... import _enums
from ...proto import NeuralNetwork_pb2 as _NN
from ._layer_fields import enum_value, upper

def _scatter_mode(mode, what):
    """ScatterMode value of "UPDATE", "ADD", "SUB", "MUL", "DIV", "MAX" or "MIN"."""
    mode = upper(mode)
    error = ValueError("Unsupported %s mode %s" % (what, mode))
    return enum_value(_NN.ScatterMode, "SCATTER_%s" % (mode,), error)


def _scatter_layer(builder, field, what, name, input_names, output_name, axis, mode):
    """A scatter layer ``field`` ("scatter" or "scatterAlongAxis") along ``axis``."""
    value = _scatter_mode(mode, what)
    layer = builder._add_generic_layer(name, input_names, [output_name])
    params = getattr(layer, field)
    params.SetInParent()
    params.axis = axis
    params.mode = value
    return layer


class IndexingLayers:
    def add_gather(self, name, input_names, output_name, axis=0):
        """Gather slices of the first input along ``axis`` at the indices of the second."""
        layer = self._add_generic_layer(name, input_names, [output_name])
        layer.gather.SetInParent()
        layer.gather.axis = axis
        self.rank_dict[output_name] = self._get_rank(input_names[0]) - 1 + self._get_rank(input_names[1])
        return layer

    def add_scatter(self, name, input_names, output_name, axis=0, mode="UPDATE"):
        """Scatter the updates (third input) into the first input along ``axis`` at the
        indices of the second; ``mode`` "UPDATE", "ADD", "SUB", "MUL", "DIV", "MAX" or
        "MIN" combines them with the existing values."""
        return _scatter_layer(self, "scatter", "Scatter", name, input_names, output_name, axis, mode)

    def add_gather_along_axis(self, name, input_names, output_name, axis=0):
        """Gather single elements along ``axis``, indices having the output's shape."""
        layer = self._add_generic_layer(name, input_names, [output_name])
        layer.gatherAlongAxis.SetInParent()
        layer.gatherAlongAxis.axis = axis
        self.rank_dict[output_name] = self._get_rank(input_names[1])
        return layer

    def add_scatter_along_axis(self, name, input_names, output_name, axis=0, mode="UPDATE"):
        """Scatter single elements along ``axis`` (modes as in ``add_scatter``)."""
        return _scatter_layer(self, "scatterAlongAxis", "scatter_along_axis", name, input_names, output_name, axis,
                              mode)

    def add_gather_nd(self, name, input_names, output_name):
        """Gather the slices addressed by the index tuples in the second input's last axis."""
        layer = self._add_generic_layer(name, input_names, [output_name])
        layer.gatherND.SetInParent()
        self.rank_dict[output_name] = -1
        return layer

    def add_scatter_nd(self, name, input_names, output_name, mode="UPDATE"):
        """Scatter slices at index tuples (modes as in ``add_scatter``)."""
        value = _scatter_mode(mode, "scatter")
        layer = self._add_generic_layer(name, input_names, [output_name])
        layer.scatterND.SetInParent()
        layer.scatterND.mode = value
        return layer

    def add_one_hot(self, name, input_names, output_name, one_hot_vector_size=None, axis=-1, on_value=1.0,
                    off_value=0.0):
        """One-hot vectors of ``one_hot_vector_size`` (or the second input) along a new
        ``axis``. Needs specification version 5."""
        self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.oneHot
        params.SetInParent()
        params.axis = axis
        if one_hot_vector_size:
            params.oneHotVectorSize = one_hot_vector_size
        params.onValue = on_value
        params.offValue = off_value
        return layer

    def add_where_nonzero(self, name, input_name, output_name):
        """Indices of the nonzero elements, one row per element (rank 2 output)."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.whereNonZero.SetInParent()
        self.rank_dict[output_name] = 2
        return layer

    def add_nms(self, name, input_names, output_names, iou_threshold=0.5, score_threshold=0.0, max_boxes=1,
                per_class_suppression=False):
        """Non-maximum suppression of boxes (first input) by scores (second); optional
        inputs 3-5 override the thresholds and box count. Outputs: boxes, scores, indices
        and the number of boxes kept."""
        if len(output_names) != 4:
            raise ValueError("NMS layer '%s' needs exactly 4 output names." % name)
        layer = self._add_generic_layer(name, input_names, output_names)
        params = layer.NonMaximumSuppression
        params.SetInParent()
        params.iouThreshold = iou_threshold
        params.scoreThreshold = score_threshold
        params.maxBoxes = max_boxes
        params.perClassSuppression = per_class_suppression
        for output, rank in zip(output_names, (3, 3, 2, 1)):
            self.rank_dict[output] = rank
        return layer
