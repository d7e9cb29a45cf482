"""Builder methods for on-device training (updatable models): marking layers
trainable, the loss layer, the optimizer and its hyper-parameters, epochs and shuffling."""
import numbers as _numbers

from ... import _enums
from ...proto import Model_pb2 as _Model_pb2
from .. import datatypes
from .._spec_version import _is_repeated
from .update_optimizer_utils import AdamParams, SgdParams

_SUPPORTED_UPDATABLE_LAYERS = ["innerProduct", "convolution"]

_FP16_UPDATABLE_ERROR = (
    "This model has at least one layer with FP16 weights or bias formats. These networks will "
    "always be optimized to a full FP16 model format which is not supported to be marked "
    "updatable. Either make sure the model has no FP16 WeightParams or split the network to two "
    "models with updatable part of the model as a separate model with no FP16 WeightParams. Note "
    "that updatable pipelines model can only have the last sub model marked as updatable."
)


def _has_fp16_weights(message):
    """True if any WeightParams inside ``message`` (searched recursively, so nested
    networks of branch and loop layers count too) holds float16 values."""
    if message.DESCRIPTOR.name == "WeightParams":
        return len(message.float16Value) > 0
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        items = value if _is_repeated(field) else [value]
        if any(_has_fp16_weights(item) for item in items):
            return True
    return False


def _fill_range(target, param):
    target.defaultValue = param.value
    target.range.minValue = param.min
    target.range.maxValue = param.max


def _fill_batch(target, batch):
    target.defaultValue = batch.value
    target.set.values.extend(batch.allowed_set)


def _optimizer(builder, params, params_class, field, type_error):
    """The optimizer message ``field`` of the update parameters with the learning rate and
    mini-batch size of ``params`` (a ``params_class``) filled in; None without a model spec."""
    if builder.spec is None:
        return None
    if not isinstance(params, params_class):
        raise Exception(type_error)
    optimizer = getattr(builder.nn_spec.updateParams.optimizer, field)
    _fill_range(optimizer.learningRate, params.lr)
    _fill_batch(optimizer.miniBatchSize, params.batch)
    return optimizer


class TrainingMethods:
    def make_updatable(self, trainables):
        """Make the model updatable, training the layers named in ``trainables`` (inner
        product or convolution layers with float32 weights)."""
        if self.spec is None:
            return
        if any(_has_fp16_weights(layer) for layer in self.nn_spec.layers):
            raise ValueError(_FP16_UPDATABLE_ERROR)
        for name in trainables:
            if name not in self.layer_specs:
                raise ValueError("Layer %s does not exist." % name)
            if self.layer_specs[name].WhichOneof("layer") not in _SUPPORTED_UPDATABLE_LAYERS:
                raise ValueError(
                    "Layer %s is not supported to be marked as updatable. Only %s layers are "
                    "supported to be marked updatable." % (name, _SUPPORTED_UPDATABLE_LAYERS)
                )
        self.spec.isUpdatable = True
        self._require_specification_version(_enums._MINIMUM_UPDATABLE_SPEC_VERSION)
        self.nn_spec.updateParams.SetInParent()
        self.set_shuffle()
        for name in trainables:
            layer = self.layer_specs[name]
            layer.isUpdatable = True
            params = getattr(layer, layer.WhichOneof("layer"))
            params.weights.isUpdatable = True
            if params.hasBias:
                params.bias.isUpdatable = True

    def _add_loss_layer(self, name):
        if name in self.layer_specs:
            raise ValueError("Name %s is already used." % name)
        loss = self.nn_spec.updateParams.lossLayers.add()
        loss.name = name
        self.layers.append(name)
        self.layer_specs[name] = loss
        return loss

    def _add_training_inputs(self, target_name):
        """Training inputs are the model inputs plus the loss target, which is returned."""
        training = self.spec.description.trainingInput
        present = {feature.name for feature in training}
        for feature in self.spec.description.input:
            if feature.name not in present:
                training.add().CopyFrom(feature)
        target = training.add()
        target.name = target_name
        return target

    def _check_target_not_output(self, target):
        if target in [feature.name for feature in self.spec.description.output]:
            raise ValueError("Loss layer target (%s) must not be a model output." % target)

    def set_categorical_cross_entropy_loss(self, name, input):
        """Train with categorical cross-entropy on ``input``, the output of a softmax layer;
        the true labels come from the training input ``<input>_true`` (or, for a classifier
        trained on its probabilities, from the predicted-label feature)."""
        if self.spec is None:
            return
        if input is None:
            raise ValueError("Loss Layer input must be specified")
        if len(self.nn_spec.layers) < 1:
            raise ValueError("Loss layer (%s) cannot be attached to an empty model." % name)
        if not any(
            input in layer.output and layer.WhichOneof("layer") == "softmax"
            for layer in self.nn_spec.layers
        ):
            raise ValueError(
                "Categorical Cross Entropy loss layer input (%s) must be a softmax layer output." % input
            )
        target = input + "_true"
        self._check_target_not_output(target)
        description = self.spec.description
        updating_classifier = (
            self.spec.HasField("neuralNetworkClassifier") and input == description.predictedProbabilitiesName
        )

        loss = self._add_loss_layer(name).categoricalCrossEntropyLossLayer
        loss.input = input
        loss.target = target
        if updating_classifier:
            label = description.predictedFeatureName
            training_input = self._add_training_inputs(label)
            label_types = [f.type.WhichOneof("Type") for f in description.output if f.name == label]
            if label_types == ["stringType"]:
                datatypes._set_datatype(training_input.type, datatypes.String())
            elif label_types == ["int64Type"]:
                datatypes._set_datatype(training_input.type, datatypes.Int64())
        else:
            training_input = self._add_training_inputs(target)
            datatypes._set_datatype(training_input.type, datatypes.Array(1))
            training_input.type.multiArrayType.dataType = _Model_pb2.ArrayFeatureType.INT32
        print("Now adding input {} as target for categorical cross-entropy loss layer.".format(target))

    def set_mean_squared_error_loss(self, name, input_feature=None):
        """Train with mean squared error between ``input_feature`` — a ``(name,
        datatypes.Array)`` pair naming a network blob — and the training input
        ``<name>_true`` of the same type."""
        if self.spec is None:
            return
        if input_feature is None:
            raise ValueError("Loss Layer input must be specified")
        if not (
            isinstance(input_feature, tuple)
            and len(input_feature) == 2
            and isinstance(input_feature[0], str)
            and isinstance(input_feature[1], datatypes.Array)
        ):
            raise ValueError("Loss layer input must be a tuple of type (string, datatype)")
        feature_name, feature_type = input_feature
        target = feature_name + "_true"
        self._check_target_not_output(target)

        loss = self._add_loss_layer(name).meanSquaredErrorLossLayer
        loss.input = feature_name
        loss.target = target
        training_input = self._add_training_inputs(target)
        datatypes._set_datatype(training_input.type, feature_type)
        training_input.type.multiArrayType.dataType = _Model_pb2.ArrayFeatureType.DOUBLE
        print("Now adding input {} as target for mean squared error loss layer.".format(target))

    def set_sgd_optimizer(self, sgd_params):
        """Train with stochastic gradient descent configured by ``sgd_params``."""
        sgd = _optimizer(self, sgd_params, SgdParams, "sgdOptimizer", "sgd_params must be of instance SgdParams")
        if sgd is not None:
            _fill_range(sgd.momentum, sgd_params.momentum)

    def set_adam_optimizer(self, adam_params):
        """Train with Adam configured by ``adam_params``."""
        adam = _optimizer(self, adam_params, AdamParams, "adamOptimizer", "adam_params must be of instance AdamParams")
        if adam is not None:
            _fill_range(adam.beta1, adam_params.beta1)
            _fill_range(adam.beta2, adam_params.beta2)
            _fill_range(adam.eps, adam_params.eps)

    def set_epochs(self, epochs=1, allowed_set=None):
        """Default number of training epochs and the values allowed (just the default if
        ``allowed_set`` is omitted)."""
        if self.spec is None:
            return
        param = self.nn_spec.updateParams.epochs
        param.defaultValue = epochs
        param.set.values.extend([epochs] if allowed_set is None else allowed_set)

    def set_shuffle(self, seed=None):
        """Shuffle the training data every epoch, optionally with a fixed integer ``seed``."""
        if self.spec is None:
            return
        if seed is not None and not isinstance(seed, _numbers.Integral):
            raise TypeError("Shuffle seed value must be integer")
        self.nn_spec.updateParams.shuffle.defaultValue = True
        if seed is not None:
            self.nn_spec.updateParams.seed.defaultValue = seed
