"""Builder methods for rank-N layers that produce new values rather than transform
their input: fills, ranges, random tensors (normal, uniform, Bernoulli) and sampling
from a categorical distribution.

Each generator comes in up to three flavours: ``*_like`` takes its shape from an input
tensor, ``*_static`` from a constant shape, ``*_dynamic`` from an input holding the shape.
"""


def _random_layer(builder, field, name, input_names, output_name, output_shape, seed, **values):
    """A random layer ``field``; ``output_shape`` is given for the static flavour only."""
    layer = builder._add_generic_layer(name, input_names, [output_name])
    params = getattr(layer, field)
    params.SetInParent()
    if output_shape is not None:
        params.outputShape.extend(output_shape)
        builder.rank_dict[output_name] = len(output_shape)
    elif field.endswith("Dynamic"):
        builder.rank_dict[output_name] = -1  # the rank is only known at run time
    for key, value in values.items():
        setattr(params, key, value)
    params.seed = seed
    return layer


class GeneratorLayers:
    def add_fill_like(self, name, input_name, output_name, value=0.0):
        """A tensor shaped like the input, filled with ``value``."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.fillLike.SetInParent()
        layer.fillLike.value = value
        return layer

    def add_fill_static(self, name, output_name, output_shape, value=0.0):
        """A tensor of ``output_shape`` filled with ``value``."""
        layer = self._add_generic_layer(name, [], [output_name])
        layer.fillStatic.SetInParent()
        layer.fillStatic.value = value
        layer.fillStatic.targetShape.extend(output_shape)
        self.rank_dict[output_name] = len(output_shape)
        return layer

    def add_fill_dynamic(self, name, input_name, output_name, value=0.0):
        """A tensor of the shape held in the input, filled with ``value``."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.fillDynamic.SetInParent()
        layer.fillDynamic.value = value
        self.rank_dict[output_name] = -1
        return layer

    def add_range_static(self, name, output_name, input_names=None, end=1, start=0, step=1):
        """The rank-1 sequence start, start + step, ... below ``end``."""
        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.rangeStatic
        params.SetInParent()
        params.endValue = float(end)
        params.startValue = float(start)
        params.stepSizeValue = float(step)
        self.rank_dict[output_name] = 1
        return layer

    def add_range_dynamic(self, name, input_names, output_name, start=0, step=1):
        """A rank-1 range whose end is the first input; a second and third input, if
        present, override ``start`` and ``step``."""
        if len(input_names) < 1 or len(input_names) > 3:
            raise ValueError("RangeDynamic layer must have either 1, 2 or 3 inputs.")
        layer = self._add_generic_layer(name, input_names, [output_name])
        params = layer.rangeDynamic
        params.SetInParent()
        params.startValue = float(start)
        params.stepSizeValue = float(step)
        self.rank_dict[output_name] = 1
        return layer

    def add_random_normal_like(self, name, input_name, output_name, mean=0.0, stddev=0.0, seed=-1):
        """Normal samples shaped like the input (``seed`` -1 picks a random seed)."""
        return _random_layer(self, "randomNormalLike", name, [input_name], output_name, None, seed,
                             mean=mean, stdDev=stddev)

    def add_random_normal_static(self, name, output_name, output_shape, mean=0.0, stddev=0.0, seed=-1):
        """Normal samples of ``output_shape``."""
        return _random_layer(self, "randomNormalStatic", name, [], output_name, output_shape, seed,
                             mean=mean, stdDev=stddev)

    def add_random_normal_dynamic(self, name, input_names, output_name, mean=0.0, stddev=0.0, seed=-1):
        """Normal samples of the shape held in the input."""
        return _random_layer(self, "randomNormalDynamic", name, input_names, output_name, None, seed,
                             mean=mean, stdDev=stddev)

    def add_random_uniform_like(self, name, input_name, output_name, minval=0.0, maxval=1.0, seed=-1):
        """Uniform samples in [minval, maxval) shaped like the input."""
        return _random_layer(self, "randomUniformLike", name, [input_name], output_name, None, seed,
                             minVal=minval, maxVal=maxval)

    def add_random_uniform_static(self, name, output_name, output_shape, minval=0.0, maxval=1.0, seed=-1):
        """Uniform samples in [minval, maxval) of ``output_shape``."""
        return _random_layer(self, "randomUniformStatic", name, [], output_name, output_shape, seed,
                             minVal=minval, maxVal=maxval)

    def add_random_uniform_dynamic(self, name, input_names, output_name, minval=0.0, maxval=1.0, seed=-1):
        """Uniform samples in [minval, maxval) of the shape held in the input."""
        return _random_layer(self, "randomUniformDynamic", name, input_names, output_name, None, seed,
                             minVal=minval, maxVal=maxval)

    def add_random_bernoulli_like(self, name, input_name, output_name, prob=0.5, seed=-1):
        """0/1 samples, 1 with probability ``prob``, shaped like the input."""
        return _random_layer(self, "randomBernoulliLike", name, [input_name], output_name, None, seed, prob=prob)

    def add_random_bernoulli_static(self, name, output_name, output_shape, prob=0.5, seed=-1):
        """0/1 samples of ``output_shape``, 1 with probability ``prob``."""
        return _random_layer(self, "randomBernoulliStatic", name, [], output_name, output_shape, seed, prob=prob)

    def add_random_bernoulli_dynamic(self, name, input_names, output_name, prob=0.5, seed=-1):
        """0/1 samples of the shape held in the input, 1 with probability ``prob``."""
        return _random_layer(self, "randomBernoulliDynamic", name, input_names, output_name, None, seed, prob=prob)

    def add_categorical_distribution(self, name, input_name, output_name, num_samples, is_logits=True, eps=1e-10,
                                     temperature=1.0, seed=-1):
        """``num_samples`` class indices drawn from the distribution over the last axis
        (logits divided by ``temperature``, or probabilities when not ``is_logits``)."""
        layer = self._add_generic_layer(name, [input_name], [output_name])
        params = layer.categoricalDistribution
        params.SetInParent()
        params.numSamples = num_samples
        params.isLogits = is_logits
        params.eps = eps
        params.temperature = temperature
        params.seed = seed
        return layer
