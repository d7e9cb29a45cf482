"""Builder methods for rank-N layers that move or reshape data without arithmetic:
transpose, concat/split/stack, slices, tile, reshapes, squeeze/expand, broadcasting,
padding, reversal, sliding windows and triangular band masks."""
from ... import _enums
from ._layer_fields import name_list


def _target_shape_layer(builder, field, target, name, input_names, output_name, output_shape=None):
    """A reshape or broadcast layer ``field`` whose ``target`` shape is "static"
    (``output_shape``), "like" (that of the second input) or "dynamic" (held in the second
    input)."""
    layer = builder._add_generic_layer(name, input_names, [output_name])
    params = getattr(layer, field)
    if target == "static":
        params.targetShape.extend(output_shape)
        builder.rank_dict[output_name] = len(output_shape)
    else:
        params.SetInParent()
        builder.rank_dict[output_name] = builder._get_rank(input_names[1]) if target == "like" else -1
    return layer


class ShapeLayers:
    def add_transpose(self, name, axes, input_name, output_name):
        """Permute the axes: output axis i is input axis ``axes[i]`` (negative allowed)."""
        rank = len(axes)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.transpose.axes.extend(axis + rank if axis < 0 else axis for axis in axes)
        return layer

    def add_concat_nd(self, name, input_names, output_name, axis, interleave=False):
        """Concatenate along ``axis``; ``interleave`` alternates slices of the inputs
        (needs specification version 5)."""
        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.concatND
        params.SetInParent()
        params.axis = axis
        if interleave:
            params.interleave = True
            self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        return layer

    def add_split_nd(self, name, input_name, output_names, axis, num_splits=2, split_sizes=None):
        """Split along ``axis`` into ``num_splits`` equal parts or parts of ``split_sizes``;
        one output name per part."""
        count = len(split_sizes) if split_sizes else num_splits
        if len(output_names) != count:
            raise ValueError(
                "split_nd layer '%s' makes %d parts but %d output names were given."
                % (name, count, len(output_names))
            )
        layer = self._add_generic_layer(name, [input_name], output_names)
        params = layer.splitND
        params.axis = axis
        if split_sizes:
            params.splitSizes.extend(split_sizes)
        params.numSplits = count
        return layer

    def add_stack(self, name, input_names, output_name, axis=0):
        """Stack same-shaped inputs along a new ``axis``."""
        layer = self._add_generic_layer(name, input_names, [output_name])
        layer.stack.SetInParent()
        layer.stack.axis = axis
        self.rank_dict[output_name] = self._get_rank(input_names[0]) + 1
        return layer

    def add_slice_static(
        self, name, input_name, output_name, begin_ids, end_ids, strides, begin_masks, end_masks,
        squeeze_masks=None,
    ):
        """Strided slice with constant bounds, one entry per axis; a true begin/end mask
        ignores that bound. A true squeeze mask removes the (size-1) axis and needs
        specification version 5."""
        lists = [end_ids, strides, begin_masks, end_masks] + ([squeeze_masks] if squeeze_masks is not None else [])
        if any(len(values) != len(begin_ids) for values in lists):
            raise ValueError(
                "slice_static layer '%s': every list of per-axis values must have %d entries." % (name, len(begin_ids))
            )
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.sliceStatic
        params.beginIds.extend(begin_ids)
        params.endIds.extend(end_ids)
        params.strides.extend(strides)
        params.beginMasks.extend(begin_masks)
        params.endMasks.extend(end_masks)
        if squeeze_masks and any(squeeze_masks):
            self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
            params.squeezeMasks.extend(squeeze_masks)
        return layer

    def add_slice_dynamic(
        self, name, input_names, output_name, end_ids=None, strides=None, begin_masks=None, end_masks=None,
        squeeze_masks=None,
    ):
        """Strided slice whose begin (second input) and optionally end (third input) and
        strides (fourth) are blobs; the lists default to five axes of [1] / [False]. A true
        squeeze mask needs specification version 5."""
        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.sliceDynamic
        params.SetInParent()
        params.endIds.extend(end_ids or [1] * 5)
        params.strides.extend(strides or [1] * 5)
        params.beginMasks.extend(begin_masks or [False] * 5)
        params.endMasks.extend(end_masks or [False] * 5)
        if squeeze_masks and any(squeeze_masks):
            self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
            params.squeezeMasks.extend(squeeze_masks)
        return layer

    def add_slice_by_size(self, name, input_names, output_name, axis, size):
        """Slice ``size`` elements along ``axis`` starting at the index given by the
        second input."""
        if size < 1:
            raise ValueError("Invalid size value %d. Must be positive." % size)
        layer = self._add_generic_layer(name, input_names, [output_name])
        layer.sliceBySize.axis = axis
        layer.sliceBySize.size = size
        return layer

    def add_tile(self, name, input_name, output_name, reps=[]):
        """Repeat the input ``reps[i]`` times along axis i; with a second input the
        repetitions come from it (needs specification version 5)."""
        input_names = name_list(input_name)
        if len(input_names) == 2:
            reps = []
            self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        if not all(rep > 0 for rep in reps):
            raise ValueError("tile layer '%s': every repetition count must be positive." % name)
        layer = self._add_generic_layer(name, input_names, [output_name])
        layer.tile.SetInParent()
        layer.tile.reps.extend(reps)
        return layer

    def add_expand_dims(self, name, input_name, output_name, axes):
        """Insert size-1 axes at ``axes`` (positions in the output)."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.expandDims.axes.extend(axes)
        self.rank_dict[output_name] = self._get_rank(input_name) + len(axes)
        return layer

    def add_squeeze(self, name, input_name, output_name, axes=None, squeeze_all=False):
        """Remove the size-1 ``axes`` (every size-1 axis with ``squeeze_all``)."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.squeeze
        params.SetInParent()
        if axes is not None:
            params.axes.extend(axes)
        params.squeezeAll = squeeze_all
        if squeeze_all or axes is None:
            self.rank_dict[output_name] = -1
        else:
            rank = self._get_rank(input_name) - len(axes)
            self.rank_dict[output_name] = rank if rank != 0 else 1
        return layer

    def add_flatten_to_2d(self, name, input_name, output_name, axis=1):
        """Reshape to 2-D: the axes before ``axis`` form the first dimension."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.flattenTo2D.SetInParent()
        layer.flattenTo2D.axis = axis
        self.rank_dict[output_name] = 2
        return layer

    def add_reshape_like(self, name, input_names, output_name):
        """Reshape the first input to the shape of the second."""
        return _target_shape_layer(self, "reshapeLike", "like", name, input_names, output_name)

    def add_reshape_static(self, name, input_name, output_name, output_shape):
        """Reshape to ``output_shape`` (0 keeps the input dimension, -1 is inferred)."""
        return _target_shape_layer(self, "reshapeStatic", "static", name, [input_name], output_name, output_shape)

    def add_reshape_dynamic(self, name, input_names, output_name):
        """Reshape the first input to the shape held in the second."""
        return _target_shape_layer(self, "reshapeDynamic", "dynamic", name, input_names, output_name)

    def add_rank_preserving_reshape(self, name, input_name, output_name, output_shape):
        """Reshape to ``output_shape`` of the same rank (0 keeps, -1 infers a dimension)."""
        shape = [int(d) for d in output_shape]
        layer = self._add_generic_layer(
            name, [input_name], [output_name],
            input_ranks=[len(shape)], input_shapes=[shape],
            output_ranks=[len(shape)], output_shapes=[shape],
        )
        layer.rankPreservingReshape.targetShape.extend(shape)
        return layer

    def add_get_shape(self, name, input_name, output_name):
        """The shape of the input, as a rank-1 tensor."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.getShape.SetInParent()
        self.rank_dict[output_name] = 1
        return layer

    def add_broadcast_to_like(self, name, input_names, output_name):
        """Broadcast the first input to the shape of the second."""
        if len(input_names) != 2:
            raise ValueError("BroadcastToLikeLayer must have two inputs")
        return _target_shape_layer(self, "broadcastToLike", "like", name, input_names, output_name)

    def add_broadcast_to_static(self, name, input_name, output_name, output_shape):
        """Broadcast the input to ``output_shape``."""
        return _target_shape_layer(self, "broadcastToStatic", "static", name, [input_name], output_name, output_shape)

    def add_broadcast_to_dynamic(self, name, input_names, output_name):
        """Broadcast the first input to the shape held in the second."""
        return _target_shape_layer(self, "broadcastToDynamic", "dynamic", name, input_names, output_name)

    def add_constant_pad(
        self, name, input_names, output_name, value=0.0, pad_to_given_output_size_mode=False, pad_amounts=[]
    ):
        """Pad every axis with ``value``: ``pad_amounts`` lists (before, after) per axis,
        or with ``pad_to_given_output_size_mode`` the output sizes; a second input may
        supply the amounts instead."""
        input_names = name_list(input_names)
        if len(input_names) == 1 and len(pad_amounts) == 0:
            raise ValueError("Constant_pad layer: pad_amounts must be provided when there is a single input")
        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.constantPad
        params.SetInParent()
        params.value = value
        params.padToGivenOutputSizeMode = pad_to_given_output_size_mode
        params.padAmounts.extend(int(amount) for amount in pad_amounts)
        return layer

    def add_reverse(self, name, input_name, output_name, reverse_dim=None):
        """Reverse the axes whose ``reverse_dim`` entry is true (default [True])."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.reverse.reverseDim.extend(bool(flag) for flag in (reverse_dim or [1]))
        return layer

    def add_reverse_sequence(self, name, input_names, output_name, batch_axis=0, seq_axis=-1):
        """Reverse the first ``lengths[b]`` entries along ``seq_axis`` of each batch entry
        b, lengths being the second input."""
        layer = self._add_generic_layer(name, input_names, [output_name])
        layer.reverseSeq.SetInParent()
        layer.reverseSeq.batchAxis = batch_axis
        layer.reverseSeq.sequenceAxis = seq_axis
        return layer

    def add_sliding_windows(self, name, input_name, output_name, axis, window_size, step=1):
        """Windows of ``window_size`` elements every ``step`` along ``axis``, stacked on a
        new axis."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.slidingWindows
        params.axis = axis
        params.windowSize = window_size
        params.step = step
        self.rank_dict[output_name] = self._get_rank(input_name) + 1
        return layer

    def add_matrix_band_part(self, name, input_name, output_name, num_lower=-1, num_upper=-1):
        """Keep ``num_lower`` sub-diagonals and ``num_upper`` super-diagonals of the inner
        matrices (-1 keeps all), zeroing the rest."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.matrixBandPart.numLower = num_lower
        layer.matrixBandPart.numUpper = num_upper
        return layer

    def add_lower_triangular(self, name, input_name, output_name, k=0):
        """Zero the entries above the ``k``-th diagonal of the inner matrices."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.lowerTriangular.SetInParent()
        layer.lowerTriangular.k = k
        return layer

    def add_upper_triangular(self, name, input_name, output_name, k=0):
        """Zero the entries below the ``k``-th diagonal of the inner matrices."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.upperTriangular.SetInParent()
        layer.upperTriangular.k = k
        return layer
