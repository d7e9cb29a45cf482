"""Builder methods that edit the model interface: input and output shapes, training
inputs, class labels (turning the model into a classifier) and optional inputs."""
import numpy as _np

from ... import _enums
from ...proto import Model_pb2 as _Model_pb2
from .. import datatypes
from .._interface_management import set_training_features, set_transform_interface_params

_DOUBLE = _Model_pb2.ArrayFeatureType.DOUBLE


def _array(dim):
    if not dim:
        return None
    return datatypes.Array(dim) if isinstance(dim, int) else datatypes.Array(*dim)


def _label_kind(label):
    if isinstance(label, str):
        return str
    if isinstance(label, (int, _np.integer)) and not isinstance(label, bool):
        return int
    return None


class InterfaceMethods:
    def set_input(self, input_names, input_dims):
        """Rename the model's inputs and set their shapes (DOUBLE multi-arrays).

        Without ``disable_rank5_shape_mapping`` a shape must have rank 1 or 3, or rank 2
        where only the second dimension is kept.
        """
        if len(input_names) != len(input_dims):
            raise ValueError("input_names and input_dims must be of the same sizes.")
        inputs = self.spec.description.input
        for index, dim in enumerate(input_dims):
            if getattr(self, "_disable_rank5_shape_mapping", False):
                shape = tuple(dim)
            elif len(dim) in (1, 3):
                shape = tuple(dim)
            elif len(dim) == 2:
                shape = (dim[1],)
            else:
                raise RuntimeError(
                    "Attempting to add a neural network input with rank %d. "
                    "All networks should take inputs of rank 1 or 3." % len(dim)
                )
            array = inputs[index].type.multiArrayType
            array.ClearField("shape")
            array.shape.extend(shape)
            array.dataType = _DOUBLE
            inputs[index].name = input_names[index]

    def set_output(self, output_names, output_dims):
        """Rename the model's outputs and set their shapes (DOUBLE multi-arrays)."""
        if len(output_names) != len(output_dims):
            raise ValueError("output_names and output_dims must be of the same sizes.")
        outputs = self.spec.description.output
        for index, dim in enumerate(output_dims):
            array = outputs[index].type.multiArrayType
            array.ClearField("shape")
            array.shape.extend(dim)
            array.dataType = _DOUBLE
            outputs[index].name = output_names[index]

    def set_training_input(self, training_input):
        """Append ``(name, datatype)`` training inputs."""
        set_training_features(self.spec, training_input)

    def set_class_labels(self, class_labels, predicted_feature_name="classLabel", prediction_blob=""):
        """Make the model a classifier over ``class_labels`` (all int or all str).

        The first output becomes the label -> probability dictionary, computed from the
        blob ``prediction_blob`` (default: the first output of the last layer), and an
        output ``predicted_feature_name`` holding the predicted label is added.
        """
        spec, nn_spec = self.spec, self.nn_spec
        if len(spec.description.output) == 0:
            raise ValueError(
                "Model should have at least one output (the probabilities) to automatically make it a classifier."
            )
        probabilities = spec.description.output[0]
        probabilities.type.dictionaryType.SetInParent()
        if len(class_labels) == 0:
            return
        kinds = {_label_kind(c) for c in class_labels}
        if None in kinds or len(kinds) != 1:
            raise TypeError(
                "Class labels must be all of type Integer or all of type String. (got %s)"
                % ", ".join(sorted({type(c).__name__ for c in class_labels}))
            )
        is_int = kinds == {int}

        spec.description.predictedProbabilitiesName = probabilities.name
        spec.description.predictedFeatureName = predicted_feature_name
        label = spec.description.output.add()
        label.name = predicted_feature_name
        if is_int:
            nn_spec.ClearField("int64ClassLabels")
            probabilities.type.dictionaryType.int64KeyType.SetInParent()
            label.type.int64Type.SetInParent()
            nn_spec.int64ClassLabels.vector.extend(int(c) for c in class_labels)
        else:
            nn_spec.ClearField("stringClassLabels")
            probabilities.type.dictionaryType.stringKeyType.SetInParent()
            label.type.stringType.SetInParent()
            nn_spec.stringClassLabels.vector.extend(class_labels)

        if prediction_blob:
            # The validator checks that this blob exists.
            nn_spec.labelProbabilityLayerName = prediction_blob
        elif len(nn_spec.layers):
            nn_spec.labelProbabilityLayerName = nn_spec.layers[-1].output[0]

    def set_optional_input(self, input_idx, value=None, format="float"):
        """Mark input ``input_idx`` optional; ``value`` (written as ``format``: "float",
        "double" or "int") becomes its default, which needs specification version 5."""
        inputs = self.spec.description.input
        if input_idx >= len(inputs):
            raise ValueError(
                "Setting invalid input as optional! %d out of %d inputs!" % (input_idx, len(inputs))
            )
        inputs[input_idx].type.isOptional = True
        if value is None:
            return
        self._require_specification_version(_enums._SPECIFICATION_VERSION_IOS_14)
        field = {"float": "floatDefaultValue", "double": "doubleDefaultValue", "int": "intDefaultValue"}.get(
            format.lower()
        )
        if field is None:
            raise ValueError(
                "Incorrect format for optional inputs! Expecting int/float/double, got {}!".format(format)
            )
        setattr(inputs[input_idx].type.multiArrayType, field, value)

    def add_optionals(self, optionals_in, optionals_out):
        """Add optional DOUBLE multi-array inputs and outputs, given as ``(name, dims)``
        pairs (``dims`` an int, a tuple, or empty/None for an output of unknown shape)."""
        if not optionals_in and not optionals_out:
            return
        spec = self.spec
        inputs = [(str(name), _array(dim)) for name, dim in optionals_in]
        outputs = [(str(name), _array(dim)) for name, dim in optionals_out]
        first_in, first_out = len(spec.description.input), len(spec.description.output)
        set_transform_interface_params(
            spec,
            inputs,
            [(name, dt if dt is not None else datatypes.Array(1)) for name, dt in outputs],
            are_optional=True,
        )
        for feature in spec.description.input[first_in:]:
            feature.type.multiArrayType.dataType = _DOUBLE
        for offset, feature in enumerate(spec.description.output[first_out:]):
            feature.type.multiArrayType.dataType = _DOUBLE
            if outputs[offset][1] is None:
                feature.type.multiArrayType.ClearField("shape")
