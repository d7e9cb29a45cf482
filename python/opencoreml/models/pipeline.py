"""Pipeline builders (coremltools' ``coremltools.models.pipeline``): ``Pipeline`` for a chain
of transformers, ``PipelineRegressor`` and ``PipelineClassifier`` for chains ending in a
regressor or classifier. Each builds a spec (``.spec``) that ``MLModel`` loads; features
flow between the sub-models by name."""
from .._enums import SPECIFICATION_VERSION as _SPECIFICATION_VERSION
from ..proto import Model_pb2 as _Model_pb2
from . import _feature_management
from ._interface_management import (
    set_classifier_interface_params,
    set_regressor_interface_params,
    set_training_features,
    set_transform_interface_params,
)


def _sub_model_spec(model):
    """The spec of an ``MLModel`` or of a protobuf spec (ours or coremltools')."""
    from ._model_io import as_spec
    from .model import MLModel

    if isinstance(model, MLModel):
        return model._spec
    return as_spec(model)


def _new_spec():
    spec = _Model_pb2.Model()
    spec.specificationVersion = _SPECIFICATION_VERSION
    return spec


class Pipeline:
    """A sequence of models exposed as one model, from ``input_features`` to
    ``output_features`` (lists of ``(name, datatype)`` tuples, datatypes from
    :py:mod:`opencoreml.models.datatypes`). Every output must be a pipeline input or be
    produced by one of the added models."""

    # The field of the spec holding the Pipeline message.
    _pipeline_field = "pipeline"

    def __init__(self, input_features, output_features, training_features=None):
        spec = _new_spec()
        spec.pipeline.SetInParent()
        # coremltools passes training_features in the are_optional slot here; keep that.
        self.spec = set_transform_interface_params(spec, input_features, output_features, training_features)

    def _pipeline(self):
        if self._pipeline_field == "pipeline":
            return self.spec.pipeline
        return getattr(self.spec, self._pipeline_field).pipeline

    def _validate_updatable_pipeline_on_add_model(self, spec):
        if spec.isUpdatable:
            raise ValueError("New sub-models cannot be added after the pipeline has been marked as updatable")

    def add_model(self, spec):
        """Append a model (an ``MLModel`` or a protobuf spec). Its inputs must be inputs of
        the pipeline or outputs of a model added before it."""
        self._validate_updatable_pipeline_on_add_model(self.spec)
        self._pipeline().models.add().CopyFrom(_sub_model_spec(spec))

    def _validate_sub_models_and_make_updatable(self, pipeline, spec):
        models = pipeline.models
        if len(models) < 1:
            raise ValueError(
                "Pipeline does not seem to have any models. It should be marked as updatable only after adding all sub-models."
            )
        if any(m.isUpdatable for m in models[:-1]):
            raise ValueError("Only the last model can be updatable in an updatable pipeline.")
        if not models[-1].isUpdatable:
            raise ValueError("A pipeline can be made updatable only if the last model is updatable.")
        spec.isUpdatable = True

    def make_updatable(self):
        """Mark the pipeline updatable (its last model must be updatable, no other may be)."""
        self._validate_sub_models_and_make_updatable(self._pipeline(), self.spec)

    def set_training_input(self, training_input):
        """Append ``(name, datatype)`` training inputs to the pipeline's description."""
        set_training_features(self.spec, training_input)


class PipelineRegressor(Pipeline):
    """A pipeline whose last model is a regressor: the pipeline's one ``Double`` output is
    its predicted feature."""

    _pipeline_field = "pipelineRegressor"

    def __init__(self, input_features, output_features, training_features=None):
        spec = _new_spec()
        spec.pipelineRegressor.SetInParent()
        self.spec = set_regressor_interface_params(spec, input_features, output_features, training_features)


class PipelineClassifier(Pipeline):
    """A pipeline whose last model is a classifier with ``class_labels``. ``output_features``
    names the predicted label and, optionally, the class-score dictionary (default
    ``classLabel`` and ``classProbability``)."""

    _pipeline_field = "pipelineClassifier"

    def __init__(self, input_features, class_labels, output_features=None, training_features=None):
        output_features = _feature_management.process_or_validate_classifier_output_features(
            output_features, class_labels
        )
        spec = _new_spec()
        spec = set_classifier_interface_params(
            spec, input_features, class_labels, "pipelineClassifier", output_features, training_features
        )
        spec.pipelineClassifier.SetInParent()
        self.spec = spec
