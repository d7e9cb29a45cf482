"""Filling a spec's ``ModelDescription`` (inputs, outputs, training inputs, predicted
feature names, class labels) for the classifier, regressor and transform builders."""
from ..proto import FeatureTypes_pb2 as _FeatureTypes_pb2
from . import _feature_management as _fm
from . import datatypes


def _add_features(feature_list, features, array_datatype=None):
    added = []
    for name, datatype in features:
        feature = feature_list.add()
        feature.name = name
        datatypes._set_datatype(feature.type, datatype, array_datatype=array_datatype)
        added.append(feature)
    return added


def set_classifier_interface_params(
    spec,
    features,
    class_labels,
    model_accessor_for_class_labels,
    output_features=None,
    training_features=None,
):
    """Describe a classifier's interface on ``spec`` and store its class labels.

    ``model_accessor_for_class_labels`` names the field of ``spec`` (for example
    ``"glmClassifier"``) whose ``stringClassLabels`` / ``int64ClassLabels`` receive the
    labels; models without such a field (pipeline classifiers) are left without labels.
    Returns ``spec``.
    """
    features = _fm.process_or_validate_features(features)

    if class_labels is None:
        raise ValueError("List of class labels must be provided.")

    output_features = _fm.process_or_validate_classifier_output_features(
        output_features, class_labels
    )
    if len(output_features) == 1:
        (label_name, label_type), scores = output_features[0], None
    elif len(output_features) == 2:
        (label_name, label_type), scores = output_features
    else:
        raise ValueError(
            "Provided output classes for a classifier must be a list of features, "
            "predicted class and (optionally) class_score."
        )

    spec.description.predictedFeatureName = label_name

    if label_type not in (datatypes.Int64(), datatypes.String()):
        raise ValueError(
            "Provided predicted class output type not Int64 or String (%r)." % (label_type,)
        )

    if scores is not None:
        scores_name, scores_type = scores
        if not isinstance(scores_type, datatypes.Dictionary):
            raise ValueError(
                "Provided class score output type not a Dictionary (%r)." % (scores_type,)
            )
        if scores_type.key_type != label_type:
            raise ValueError(
                "Provided class score output (%s) key_type (%r) does not match type of "
                "class prediction (%r)." % (scores_name, scores_type.key_type, label_type)
            )
        spec.description.predictedProbabilitiesName = scores_name

    _add_features(spec.description.input, features)
    _add_features(spec.description.output, output_features)

    if training_features is not None:
        spec = set_training_features(spec, training_features)

    # Models without a class-label field (pipeline classifiers) raise AttributeError.
    if label_type == datatypes.String():
        try:
            labels = getattr(spec, model_accessor_for_class_labels).stringClassLabels
        except AttributeError:
            return spec
        labels.vector.extend(str(c) for c in class_labels)
    else:
        int_labels = []
        for c in class_labels:
            try:
                is_int = int(c) == c
            except Exception:
                is_int = False
            if not is_int:
                raise TypeError(
                    "Cannot cast '%s' class to an int type (class type determined by "
                    "type of first class)." % str(c)
                )
            int_labels.append(int(c))
        try:
            labels = getattr(spec, model_accessor_for_class_labels).int64ClassLabels
        except AttributeError:
            return spec
        labels.vector.extend(int_labels)

    return spec


def set_regressor_interface_params(spec, features, output_features, training_features=None):
    """Describe a regressor's interface on ``spec``: its inputs and one ``Double`` output.

    ``output_features=None`` names the output ``"predicted_class"``. Returns ``spec``.
    """
    if output_features is None:
        output_features = [("predicted_class", datatypes.Double())]
    else:
        output_features = _fm.process_or_validate_features(output_features, 1)

    if len(output_features) != 1:
        raise ValueError("Provided output features for a regressor must be one Double feature.")
    if output_features[0][1] != datatypes.Double():
        raise ValueError("Output type of a regressor must be a Double.")

    prediction_name = output_features[0][0]
    spec.description.predictedFeatureName = prediction_name

    features = _fm.process_or_validate_features(features)
    _add_features(spec.description.input, features)

    if training_features is not None:
        spec = set_training_features(spec, training_features)

    _add_features(spec.description.output, [(prediction_name, datatypes.Double())])
    return spec


def set_transform_interface_params(
    spec,
    input_features,
    output_features,
    are_optional=False,
    training_features=None,
    array_datatype=None,
):
    """Describe a feature transform's inputs and outputs on ``spec``.

    ``Array`` features get element type ``array_datatype`` (``ArrayFeatureType`` enum,
    default ``DOUBLE``); ``are_optional`` marks every input optional. Returns ``spec``.
    """
    if array_datatype is None:
        array_datatype = _FeatureTypes_pb2.ArrayFeatureType.DOUBLE

    input_features = _fm.process_or_validate_features(input_features)
    output_features = _fm.process_or_validate_features(output_features)

    for feature in _add_features(spec.description.input, input_features, array_datatype):
        if are_optional:
            feature.type.isOptional = True
    _add_features(spec.description.output, output_features, array_datatype)

    if training_features is not None:
        spec = set_training_features(spec, training_features)

    return spec


def set_training_features(spec, training_features):
    """Append ``(name, datatype)`` pairs to ``spec.description.trainingInput``.

    A falsy datatype adds the feature with its type left unset. Returns ``spec``.
    """
    for name, datatype in training_features:
        feature = spec.description.trainingInput.add()
        feature.name = name
        if datatype:
            datatypes._set_datatype(feature.type, datatype)
    return spec
