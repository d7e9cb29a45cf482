"""Editing existing neural-network models: turning multi-array inputs into images
(``make_image_input``) and a plain network into a classifier (``make_nn_classifier``)."""
import copy as _copy
import os as _os

from ..utils import _get_model
from .builder import NeuralNetworkBuilder

_NN_KINDS = ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor")


def make_image_input(
    model,
    input_name,
    is_bgr=False,
    red_bias=0.0,
    blue_bias=0.0,
    green_bias=0.0,
    gray_bias=0.0,
    scale=1.0,
    image_format="NHWC",
):
    """A copy of the neural-network ``model`` whose multi-array input(s) ``input_name``
    (a name or a list) are images, with the given scale and channel biases (see
    ``NeuralNetworkBuilder.set_pre_processing_parameters``)."""
    spec = model.get_spec()
    if spec.WhichOneof("Type") not in _NN_KINDS:
        raise ValueError(
            "Provided model must be of type neuralNetwork, neuralNetworkClassifier or neuralNetworkRegressor"
        )
    names = input_name if isinstance(input_name, list) else [input_name]
    existing = [feature.name for feature in spec.description.input]
    for name in names:
        if name not in existing:
            raise ValueError("Provided input_name: {}, is not an existing input to the model".format(name))
    builder = NeuralNetworkBuilder(spec=spec)
    builder.set_pre_processing_parameters(
        image_input_names=names,
        is_bgr=is_bgr,
        red_bias=red_bias,
        green_bias=green_bias,
        blue_bias=blue_bias,
        gray_bias=gray_bias,
        image_scale=scale,
        image_format=image_format,
    )
    return _get_model(spec)


def _read_class_labels(class_labels):
    message = "Class labels must be a list of integers / strings or a file path"
    if isinstance(class_labels, str):
        if not _os.path.isfile(class_labels):
            raise ValueError("Path to class labels (%s) does not exist." % class_labels)
        with open(class_labels, "r") as f:
            return f.read().splitlines()
    if isinstance(class_labels, list):
        if not all(isinstance(label, (int, str)) for label in class_labels):
            raise ValueError(message)
        return class_labels
    raise ValueError(message)


def make_nn_classifier(model, class_labels, predicted_feature_name=None, predicted_probabilities_output=None):
    """A classifier made from the plain neural-network ``model``: ``class_labels`` (a list
    of ints or strings, or a file with one label per line) name the entries of its first
    output (or of the blob ``predicted_probabilities_output``)."""
    spec = model.get_spec()
    if spec.WhichOneof("Type") != "neuralNetwork":
        raise ValueError('Provided model must be of type "neuralNetwork"')
    classes = _read_class_labels(class_labels)
    network = _copy.deepcopy(spec.neuralNetwork)
    spec.ClearField("neuralNetwork")
    classifier = spec.neuralNetworkClassifier
    classifier.layers.extend(network.layers)
    classifier.preprocessing.extend(network.preprocessing)
    classifier.arrayInputShapeMapping = network.arrayInputShapeMapping
    classifier.imageInputShapeMapping = network.imageInputShapeMapping
    if network.HasField("updateParams"):
        classifier.updateParams.CopyFrom(network.updateParams)

    kwargs = {}
    if predicted_feature_name is not None:
        kwargs["predicted_feature_name"] = predicted_feature_name
    if predicted_probabilities_output is not None:
        kwargs["prediction_blob"] = predicted_probabilities_output
    NeuralNetworkBuilder(spec=spec).set_class_labels(classes, **kwargs)
    return _get_model(spec)
