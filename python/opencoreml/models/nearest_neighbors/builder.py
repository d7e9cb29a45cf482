"""``KNearestNeighborsClassifierBuilder``: writes a Core ML ``kNearestNeighborsClassifier``
spec — its interface, stored samples and labels, number of neighbours (with the allowed
range or set of values), weighting scheme and index type — with coremltools' API."""
import numpy as _np

from ... import _MINIMUM_NEAREST_NEIGHBORS_SPEC_VERSION
from ...proto import FeatureTypes_pb2 as _FeatureTypes_pb2
from ...proto import Model_pb2 as _Model_pb2
from .. import datatypes as _datatypes
from .._spec_property import spec_field_property


class KNearestNeighborsClassifierBuilder:
    """Builds a k-nearest-neighbours classifier spec (``builder.spec``).

    The model takes one multi-array input of ``number_of_dimensions`` values and outputs a
    class label (string or int64, following the type of ``default_class_label``) under
    ``output_name`` and the label probabilities under ``output_name + "Probs"``.

    Keyword options: ``number_of_neighbors`` (default 5, allowed range 1..1000),
    ``weighting_scheme`` (``"uniform"`` or ``"inverse_distance"``), ``index_type``
    (``"linear"`` or ``"kd_tree"``), ``leaf_size`` (kd-tree only, default 30) and
    ``input_type`` (``datatypes.Double`` for a double input; float32 otherwise). Other
    keyword arguments are ignored, as coremltools does.
    """

    _VALID_INDEX_TYPES = ["linear", "kd_tree"]
    _VALID_WEIGHTING_SCHEMES = ["uniform", "inverse_distance"]
    _VALID_DISTANCE_METRICS = ["squared_euclidean"]

    _PARAMETER_KEY_NUMBER_OF_NEIGHBORS = "number_of_neighbors"
    _PARAMETER_KEY_WEIGHTING_SCHEME = "weighting_scheme"
    _PARAMETER_KEY_INDEX_TYPE = "index_type"
    _PARAMETER_KEY_LEAF_SIZE = "leaf_size"
    _PARAMETER_KEY_INPUT_TYPE = "input_type"

    _PARAMETER_DEFAULT_NUMBER_OF_NEIGHBORS = 5
    _PARAMETER_DEFAULT_WEIGHTING_SCHEME = "uniform"
    _PARAMETER_DEFAULT_INDEX_TYPE = "linear"
    _PARAMETER_DEFAULT_LEAF_SIZE = 30
    _PARAMETER_DEFAULT_INPUT_TYPE = "NotSpecified"

    def __init__(
        self,
        input_name,
        output_name,
        number_of_dimensions,
        default_class_label,
        number_of_neighbors=_PARAMETER_DEFAULT_NUMBER_OF_NEIGHBORS,
        weighting_scheme=_PARAMETER_DEFAULT_WEIGHTING_SCHEME,
        index_type=_PARAMETER_DEFAULT_INDEX_TYPE,
        leaf_size=_PARAMETER_DEFAULT_LEAF_SIZE,
        **kwargs
    ):
        self.spec = _Model_pb2.Model()
        self.spec.specificationVersion = _MINIMUM_NEAREST_NEIGHBORS_SPEC_VERSION
        # A model without samples is meant to be filled on device, hence updatable.
        self.is_updatable = True

        if number_of_dimensions <= 0:
            raise ValueError("number_of_dimensions must be > 0")
        knn = self._knn
        knn.nearestNeighborsIndex.numberOfDimensions = number_of_dimensions

        input_type = kwargs.get(self._PARAMETER_KEY_INPUT_TYPE, self._PARAMETER_DEFAULT_INPUT_TYPE)
        is_double = input_type is _datatypes.Double or isinstance(input_type, _datatypes.Double)
        array_type = _FeatureTypes_pb2.ArrayFeatureType.DOUBLE if is_double else _FeatureTypes_pb2.ArrayFeatureType.FLOAT32
        description = self.spec.description
        for features in (description.input, description.trainingInput):
            feature = features.add()
            feature.name = input_name
            feature.type.multiArrayType.dataType = array_type
            feature.type.multiArrayType.shape.append(number_of_dimensions)

        label_output = description.output.add()
        label_output.name = output_name
        probs_output = description.output.add()
        probs_output.name = output_name + "Probs"
        label_training = description.trainingInput.add()
        label_training.name = output_name

        if self._is_valid_text_type(default_class_label):
            label_type, default_field, default_label = "string", "defaultStringLabel", default_class_label
        elif self._is_valid_number_type(default_class_label):
            label_type, default_field, default_label = "int64", "defaultInt64Label", int(default_class_label)
        else:
            raise TypeError(
                "default_class_label type ({}) is invalid. Must be either string or int64".format(
                    type(default_class_label)
                )
            )
        # The labels' type names the fields: stringType / int64Type, stringKeyType / int64KeyType, ...
        getattr(label_output.type, label_type + "Type").SetInParent()
        getattr(label_training.type, label_type + "Type").SetInParent()
        getattr(probs_output.type.dictionaryType, label_type + "KeyType").SetInParent()
        getattr(knn, label_type + "ClassLabels").SetInParent()
        setattr(knn, default_field, default_label)
        description.predictedFeatureName = label_output.name
        description.predictedProbabilitiesName = probs_output.name

        self.set_number_of_neighbors_with_bounds(number_of_neighbors, allowed_range=(1, 1000))
        self.weighting_scheme = weighting_scheme
        self.set_index_type(index_type, leaf_size)
        # Squared Euclidean is the only distance Core ML defines.
        knn.nearestNeighborsIndex.squaredEuclideanDistance.SetInParent()

    @property
    def _knn(self):
        return self.spec.kNearestNeighborsClassifier

    # --- metadata -----------------------------------------------------------------------

    author = spec_field_property("spec", "description.metadata.author")
    license = spec_field_property("spec", "description.metadata.license")
    description = spec_field_property("spec", "description.metadata.shortDescription")
    is_updatable = spec_field_property("spec", "isUpdatable")

    # --- weighting, index, dimensions ----------------------------------------------------

    @property
    def weighting_scheme(self):
        """``"uniform"`` or ``"inverse_distance"``, as stored in the spec."""
        if self._knn.HasField("inverseDistanceWeighting"):
            return "inverse_distance"
        return "uniform"

    @weighting_scheme.setter
    def weighting_scheme(self, weighting_scheme):
        scheme = weighting_scheme.lower()
        if scheme not in self._VALID_WEIGHTING_SCHEMES:
            raise TypeError("Invalid weighting scheme")
        if scheme == "inverse_distance":
            self._knn.inverseDistanceWeighting.SetInParent()
        else:
            self._knn.uniformWeighting.SetInParent()

    @property
    def index_type(self):
        """``"linear"`` or ``"kd_tree"``, as stored in the spec."""
        if self._knn.nearestNeighborsIndex.HasField("singleKdTreeIndex"):
            return "kd_tree"
        return "linear"

    def set_index_type(self, index_type, leaf_size=30):
        """Use a linear index or a kd-tree with ``leaf_size`` samples per leaf."""
        kind = index_type.lower()
        if kind not in self._VALID_INDEX_TYPES:
            raise TypeError("Invalid index type")
        index = self._knn.nearestNeighborsIndex
        if kind == "kd_tree":
            if leaf_size <= 0:
                raise TypeError("leaf_size must be > 0")
            index.singleKdTreeIndex.leafSize = leaf_size
        else:
            index.linearIndex.SetInParent()

    @property
    def leaf_size(self):
        """The kd-tree's leaf size (0 for a linear index)."""
        return self._knn.nearestNeighborsIndex.singleKdTreeIndex.leafSize

    @leaf_size.setter
    def leaf_size(self, leaf_size):
        # As in coremltools, setting a leaf size makes the index a kd-tree.
        if leaf_size <= 0:
            raise ValueError("leaf_size must be > 0")
        self._knn.nearestNeighborsIndex.singleKdTreeIndex.leafSize = leaf_size

    @property
    def number_of_dimensions(self):
        return self._knn.nearestNeighborsIndex.numberOfDimensions

    # --- number of neighbours ------------------------------------------------------------

    @property
    def number_of_neighbors(self):
        return self._knn.numberOfNeighbors.defaultValue

    def set_number_of_neighbors_with_bounds(self, number_of_neighbors, allowed_range=None, allowed_set=None):
        """Set the number of neighbours with exactly one of ``allowed_range`` (a
        ``(min_value, max_value)`` tuple) or ``allowed_set`` (a set of positive ints)."""
        if number_of_neighbors <= 0:
            raise ValueError("number_of_neighbors must be > 0")
        if (allowed_range is None) == (allowed_set is None):
            raise ValueError("Exactly one of allowed_range or allowed_values must be provided")
        parameter = self._knn.numberOfNeighbors

        if allowed_range is not None:
            if not isinstance(allowed_range, tuple) or len(allowed_range) != 2:
                raise TypeError("allowed_range expects a tuple of (min_value, max_value)")
            min_value, max_value = allowed_range
            if min_value <= 0:
                raise ValueError("allowed_range minimum must be > 0")
            if max_value < min_value:
                raise ValueError("allowed_range max_value must be >= min_value")
            if not min_value <= number_of_neighbors <= max_value:
                raise ValueError("number_of_neighbors is not within allowed range")
            parameter.defaultValue = number_of_neighbors
            parameter.range.minValue = min_value
            parameter.range.maxValue = max_value
            return

        if not isinstance(allowed_set, set):
            raise TypeError("allowed_values expects 'set' type")
        if len(allowed_set) == 0:
            raise TypeError("allowed_values cannot be empty")
        for value in allowed_set:
            if not self._is_valid_number_type(value):
                raise TypeError("allowed_values must contain only integer types")
            if value <= 0:
                raise TypeError("allowed_values must only contain values > 0")
        if number_of_neighbors not in allowed_set:
            raise ValueError("number_of_neighbors is not a valid value")
        parameter.defaultValue = number_of_neighbors
        # Replace any earlier set rather than appending to it.
        del parameter.set.values[:]
        parameter.set.values.extend(sorted(int(v) for v in allowed_set))

    def number_of_neighbors_allowed_range(self):
        """``(min_value, max_value)``, or None when the allowed values are not a range."""
        parameter = self._knn.numberOfNeighbors
        if parameter.HasField("range"):
            return (parameter.range.minValue, parameter.range.maxValue)
        return None

    def number_of_neighbors_allowed_set(self):
        """The set of allowed values, or None when they are not given as a set."""
        parameter = self._knn.numberOfNeighbors
        if parameter.HasField("set"):
            return set(parameter.set.values)
        return None

    # --- samples -------------------------------------------------------------------------

    def add_samples(self, data_points, labels):
        """Append samples (each ``number_of_dimensions`` values) and their labels."""
        if len(data_points) == 0:
            raise TypeError("data_points is empty")
        if len(labels) == 0:
            raise TypeError("labels is empty")
        if any(len(point) != self.number_of_dimensions for point in data_points):
            raise TypeError("dimensionality of data_points != expected number of dimensions")
        if len(data_points) != len(labels):
            raise TypeError("len(data_points) !=  len(labels)")
        # Check every label before changing the spec, so a bad batch adds nothing.
        self._validate_label_types(labels)

        index = self._knn.nearestNeighborsIndex
        for point in data_points:
            index.floatSamples.add().vector.extend(float(v) for v in point)
        if self._knn.HasField("int64ClassLabels"):
            self._knn.int64ClassLabels.vector.extend(int(label) for label in labels)
        else:
            self._knn.stringClassLabels.vector.extend(str(label) for label in labels)

    def _validate_label_types(self, labels):
        if self._knn.HasField("int64ClassLabels"):
            is_valid = self._is_valid_number_type
        else:
            is_valid = self._is_valid_text_type
        for label in labels:
            if not is_valid(label):
                raise TypeError("Invalid type for label: {}".format(type(label)))

    @staticmethod
    def _is_valid_text_type(obj):
        return isinstance(obj, str)

    @staticmethod
    def _is_valid_number_type(obj):
        return isinstance(obj, (int, _np.integer))
