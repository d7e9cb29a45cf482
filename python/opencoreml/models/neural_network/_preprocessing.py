"""``set_pre_processing_parameters``: turning multi-array inputs into image inputs and
giving image inputs their scale and per-channel biases.

An image reaches the network as (C, H, W). For an input declared channels-last (NHWC)
the builder either removes the NHWC -> NCHW transposes that already follow the input or,
if the input is used otherwise, inserts the opposite transpose so the layers still see the
layout they were built for.
"""
from ...proto import FeatureTypes_pb2 as _FeatureTypes_pb2
from ._layer_fields import upper

_ColorSpace = _FeatureTypes_pb2.ImageFeatureType.ColorSpace
# Transposes that turn channels-last data into channels-first (rank 4 and rank 3).
_TO_CHANNELS_FIRST = ([0, 3, 1, 2], [2, 0, 1])


def _per_input(value, names, what):
    """``value`` as a dict keyed by input name (a scalar applies to every input)."""
    if not isinstance(value, dict):
        return dict.fromkeys(names, value)
    for key in value:
        if key not in names:
            raise ValueError("Invalid key {} in {}.".format(key, what))
    return value


def _chw(shape, image_format):
    """(channels, height, width) of a rank-3 or rank-4 array input."""
    if len(shape) == 4:
        picks = (1, 2, 3) if image_format == "NCHW" else (3, 1, 2)
    elif len(shape) == 3:
        picks = (0, 1, 2) if image_format == "NCHW" else (2, 0, 1)
    else:
        raise ValueError(
            "Invalid input shape. Input of rank {}, but expecting input of either rank 3 or rank 4".format(
                len(shape)
            )
        )
    return tuple(shape[i] for i in picks)


class PreprocessingMethods:
    def set_pre_processing_parameters(
        self,
        image_input_names=None,
        is_bgr=False,
        red_bias=0.0,
        green_bias=0.0,
        blue_bias=0.0,
        gray_bias=0.0,
        image_scale=1.0,
        image_format="NCHW",
    ):
        """Make the inputs ``image_input_names`` images and add their pre-processing.

        Each pixel value becomes ``image_scale * value + bias`` for its channel. Every
        parameter is either one value for all the inputs or a dict keyed by input name.
        A multi-array input of shape (C, H, W) or (N, C, H, W) — (H, W, C) / (N, H, W, C)
        with ``image_format="NHWC"`` — becomes a grayscale (C == 1) or RGB/BGR (C == 3)
        image of that size.
        """
        if not image_input_names:
            return
        image_format = upper(image_format)
        if image_format not in ("NCHW", "NHWC"):
            raise ValueError(
                "Input image format must be either 'NCHW' or 'NHWC'. Provided {}".format(image_format)
            )
        names = image_input_names
        is_bgr = _per_input(is_bgr, names, "is_bgr")
        red_bias = _per_input(red_bias, names, "red_bias")
        blue_bias = _per_input(blue_bias, names, "blue_bias")
        green_bias = _per_input(green_bias, names, "green_bias")
        gray_bias = _per_input(gray_bias, names, "gray_bias")
        image_scale = _per_input(image_scale, names, "image_scale")

        for feature in self.spec.description.input:
            if feature.name not in names:
                continue
            if feature.type.WhichOneof("Type") == "multiArrayType":
                shape = tuple(feature.type.multiArrayType.shape)
                channels, height, width = _chw(shape, image_format)
                if image_format == "NHWC":
                    self._adapt_to_channels_last(feature.name, len(shape))
                if channels == 1:
                    color_space = _ColorSpace.Value("GRAYSCALE")
                elif channels == 3:
                    color_space = _ColorSpace.Value("BGR" if is_bgr.get(feature.name) else "RGB")
                else:
                    raise ValueError("Channel Value %d not supported for image inputs" % channels)
                image = feature.type.imageType
                image.colorSpace = color_space
                image.width = width
                image.height = height

            scaler = self.nn_spec.preprocessing.add()
            scaler.featureName = feature.name
            scaler = scaler.scaler
            scaler.channelScale = image_scale.get(feature.name, 1.0)
            for field, values in (
                ("redBias", red_bias), ("blueBias", blue_bias),
                ("greenBias", green_bias), ("grayBias", gray_bias),
            ):
                if feature.name in values:
                    setattr(scaler, field, values[feature.name])

    def _adapt_to_channels_last(self, input_name, rank):
        """Keep the network's view of the channels-last input ``input_name`` now that it
        arrives channels-first."""
        layers = self.nn_spec.layers
        consumers = [layer for layer in layers if input_name in layer.input]
        transposes = [
            layer for layer in consumers
            if layer.WhichOneof("layer") == "transpose"
            and layer.input[0] == input_name
            and list(layer.transpose.axes) in _TO_CHANNELS_FIRST
        ]
        if len(transposes) == len(consumers):
            # Every use converts to channels-first already: drop those conversions.
            replaced = {output for layer in transposes for output in layer.output}
            dropped = {layer.name for layer in transposes}
            for layer in layers:
                for index, name in enumerate(layer.input):
                    if name in replaced:
                        layer.input[index] = input_name
            for index in reversed(range(len(layers))):
                if layers[index].name in dropped:
                    del self.layer_specs[layers[index].name]
                    self.layers.remove(layers[index].name)
                    del layers[index]
            return
        # Otherwise convert the channels-first image back to channels-last first thing.
        converted = input_name + "_to_nhwc"
        for layer in consumers:
            for index, name in enumerate(layer.input):
                if name == input_name:
                    layer.input[index] = converted
        self.add_transpose(
            name=converted,
            axes=[0, 2, 3, 1] if rank == 4 else [1, 2, 0],
            input_name=input_name,
            output_name=converted,
        )
        layers.insert(0, layers.pop())  # moving a layer copies it: refresh the registry
        self.layer_specs[converted] = layers[0]
        self.layers.insert(0, self.layers.pop())
