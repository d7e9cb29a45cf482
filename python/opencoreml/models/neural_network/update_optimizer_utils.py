"""Hyper-parameters of an updatable neural network's optimizer: ``SgdParams`` and
``AdamParams``, each value with its allowed range (``RangeParam``) or, for the batch
size, its allowed set (``Batch``)."""


class RangeParam:
    """A default ``value`` allowed to vary within [``min``, ``max``]."""

    def __init__(self, value, min=0, max=1):
        if min >= max:
            raise ValueError("min value must be less than max value.")
        self._value = value
        self._min = min
        self._max = max

    @property
    def value(self):
        return self._value

    @property
    def min(self):
        return self._min

    @property
    def max(self):
        return self._max


class Batch:
    """A default batch size and the set of sizes allowed (just the default if omitted)."""

    def __init__(self, value, allowed_set=None):
        if allowed_set is None:
            allowed_set = [value]
        elif len(allowed_set) > len(set(allowed_set)):
            raise ValueError("values in allowed_set must be unique.")
        self._value = value
        self._allowed_set = allowed_set

    @property
    def value(self):
        return self._value

    @property
    def allowed_set(self):
        return self._allowed_set


class _OptimizerParams:
    """Shared by the optimizers: every hyper-parameter but the batch is a RangeParam."""

    _RANGES = ()

    def __init__(self, batch, **defaults):
        self._batch = Batch(batch)
        for name in self._RANGES:
            setattr(self, "_" + name, RangeParam(defaults[name]))

    def set_batch(self, value, allowed_set):
        self._batch = Batch(value, allowed_set)

    @property
    def batch(self):
        return self._batch

    def _set_range(self, name, value, min, max):
        setattr(self, "_" + name, RangeParam(value, min, max))


def _range_property(name):
    return property(lambda self: getattr(self, "_" + name), doc="The %s RangeParam." % name)


def _range_setter(name):
    def setter(self, value, min, max):
        self._set_range(name, value, min, max)

    setter.__name__ = "set_" + name
    setter.__doc__ = "Set the default %s and the range it may take." % name
    return setter


class SgdParams(_OptimizerParams):
    """Stochastic gradient descent: learning rate ``lr``, ``batch`` size, ``momentum``."""

    _RANGES = ("lr", "momentum")

    def __init__(self, lr=0.01, batch=10, momentum=0):
        super().__init__(batch, lr=lr, momentum=momentum)


class AdamParams(_OptimizerParams):
    """Adam: learning rate ``lr``, ``batch`` size, ``beta1``, ``beta2`` and ``eps``."""

    _RANGES = ("lr", "beta1", "beta2", "eps")

    def __init__(self, lr=0.01, batch=10, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(batch, lr=lr, beta1=beta1, beta2=beta2, eps=eps)


for _cls in (SgdParams, AdamParams):
    for _name in _cls._RANGES:
        setattr(_cls, _name, _range_property(_name))
        setattr(_cls, "set_" + _name, _range_setter(_name))
del _cls, _name
