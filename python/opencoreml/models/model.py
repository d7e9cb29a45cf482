"""``MLModel``: a Core ML model loaded from a file, a package or a spec — its metadata,
interface, saving and prediction (coremltools' ``coremltools.models.MLModel`` API)."""
import atexit
import copy
import os
import shutil
import tempfile
import warnings
import weakref

from .._enums import ComputeUnit, ReshapeFrequency, SpecializationStrategy
from .._errors import InvalidArgumentError
from ._feature_description import FeatureDescription
from ._feature_io import convert_outputs, prepare_inputs
from ._model_io import _MLPACKAGE_EXTENSION, _MLMODEL_EXTENSION, as_spec, load_model_file
from ._spec_property import spec_field_property
from .. import _core

_MLMODEL_FULL_PRECISION = "float32"
_MLMODEL_HALF_PRECISION = "float16"
_MLMODEL_QUANTIZED = "quantized_model"
_VALID_MLMODEL_PRECISION_TYPES = [_MLMODEL_FULL_PRECISION, _MLMODEL_HALF_PRECISION, _MLMODEL_QUANTIZED]

# Neural-network weight quantization modes (coremltools keeps them here;
# neural_network.quantization_utils uses them).
_QUANTIZATION_MODE_LINEAR_QUANTIZATION = "_linear_quantization"
_QUANTIZATION_MODE_LINEAR_SYMMETRIC = "_linear_quantization_symmetric"
_QUANTIZATION_MODE_LOOKUP_TABLE_LINEAR = "_lookup_table_quantization_linear"
_QUANTIZATION_MODE_LOOKUP_TABLE_KMEANS = "_lookup_table_quantization_kmeans"
_QUANTIZATION_MODE_CUSTOM_LOOKUP_TABLE = "_lookup_table_quantization_custom"
_QUANTIZATION_MODE_DEQUANTIZE = "_dequantize_network"
_SUPPORTED_QUANTIZATION_MODES = [
    _QUANTIZATION_MODE_LINEAR_QUANTIZATION,
    _QUANTIZATION_MODE_LOOKUP_TABLE_LINEAR,
    _QUANTIZATION_MODE_LOOKUP_TABLE_KMEANS,
    _QUANTIZATION_MODE_CUSTOM_LOOKUP_TABLE,
    _QUANTIZATION_MODE_DEQUANTIZE,
    _QUANTIZATION_MODE_LINEAR_SYMMETRIC,
]
_LUT_BASED_QUANTIZATION = [
    _QUANTIZATION_MODE_LOOKUP_TABLE_LINEAR,
    _QUANTIZATION_MODE_LOOKUP_TABLE_KMEANS,
    _QUANTIZATION_MODE_CUSTOM_LOOKUP_TABLE,
]

_METADATA_VERSION = "com.github.apple.coremltools.version"
_METADATA_SOURCE = "com.github.apple.coremltools.source"
_METADATA_SOURCE_DIALECT = "com.github.apple.coremltools.source_dialect"
_METADATA_CONVERSION_DATE = "com.github.apple.coremltools.conversion_date"

_OPTIMIZATION_HINT_TYPES = {
    "allowLowPrecisionAccumulationOnGPU": bool,
    "reshapeFrequency": ReshapeFrequency,
    "specializationStrategy": SpecializationStrategy,
}

_PIPELINE_KINDS = ("pipeline", "pipelineClassifier", "pipelineRegressor")


def _verify_optimization_hints(hints):
    if hints is None:
        return
    if not isinstance(hints, dict):
        raise TypeError('"optimization_hints" must be a dictionary or None')
    for key, value in hints.items():
        expected = _OPTIMIZATION_HINT_TYPES.get(key)
        if expected is None:
            raise ValueError(
                "Unrecognized key in optimization_hints: %r (known keys: %s)" % (key, ", ".join(_OPTIMIZATION_HINT_TYPES))
            )
        if not isinstance(value, expected):
            raise TypeError('"%s" value of "optimization_hints" must be of type %s' % (key, expected.__name__))


def _pipeline_models(spec):
    kind = spec.WhichOneof("Type")
    if kind == "pipeline":
        return spec.pipeline.models
    if kind == "pipelineClassifier":
        return spec.pipelineClassifier.pipeline.models
    if kind == "pipelineRegressor":
        return spec.pipelineRegressor.pipeline.models
    return ()


def _contains_ml_program(spec):
    return spec.WhichOneof("Type") == "mlProgram" or any(_contains_ml_program(m) for m in _pipeline_models(spec))


def _num_threads():
    """Intra-op threads per model: OPENCOREML_NUM_THREADS, else every core (0)."""
    value = os.environ.get("OPENCOREML_NUM_THREADS", "")
    try:
        return max(0, int(value)) if value else 0
    except ValueError:
        raise ValueError("OPENCOREML_NUM_THREADS must be a whole number, got %r" % value) from None


def _remove_dir(path):
    shutil.rmtree(path, ignore_errors=True)


class MLState:
    """State of a stateful model, made by ``MLModel.make_state()`` and passed to ``predict``."""

    def __init__(self, proxy):
        self.__proxy__ = proxy

    def read_state(self, name):
        return self.__proxy__.read_state(name)

    def write_state(self, name, value):
        return self.__proxy__.write_state(name, value)


class MLModel:
    """A Core ML model. ``model`` is a path to a ``.mlmodel`` file or ``.mlpackage``, or a spec
    (``Model_pb2.Model``, ours or coremltools'); an ML program given as a spec needs
    ``weights_dir``, the folder holding its ``weight.bin``."""

    def __init__(
        self,
        model,
        is_temp_package=False,
        mil_program=None,
        skip_model_load=False,
        compute_units=ComputeUnit.ALL,
        weights_dir=None,
        function_name=None,
        optimization_hints=None,
    ):
        if not isinstance(compute_units, ComputeUnit):
            raise TypeError('"compute_units" parameter must be of type: opencoreml.ComputeUnit')
        _verify_optimization_hints(optimization_hints)
        self.compute_unit = compute_units
        self.function_name = function_name
        self.optimization_hints = dict(optimization_hints) if optimization_hints is not None else None
        self._mil_program = mil_program
        self._skip_model_load = skip_model_load
        self.is_package = False
        self.is_temp_package = False
        self.package_path = None
        self._weights_dir = None
        self._model_path = None
        self.__proxy__ = None
        self._framework_error = None

        if isinstance(model, (str, os.PathLike)):
            spec, info = load_model_file(model)
            self._model_path = info["path"]
            if info["is_package"]:
                self.is_package = True
                self.is_temp_package = is_temp_package
                self.package_path = info["path"]
                self._weights_dir = info["weights_dir"]
        elif hasattr(model, "SerializeToString"):
            spec = self._load_from_spec(as_spec(model), weights_dir)
        else:
            raise TypeError(
                "Expected model to be a .mlmodel file, .mlpackage file or a Model_pb2 object, got %s"
                % type(model).__name__
            )
        self._spec = spec
        self._input_description = FeatureDescription(self._spec.description.input)
        self._output_description = FeatureDescription(self._spec.description.output)
        self._model_input_names_set = {i.name for i in self._spec.description.input}

        if self.is_package and self.is_temp_package:
            self._cleanup = weakref.finalize(self, _remove_dir, self.package_path)
            atexit.register(self._cleanup)

        default_function = self._spec.description.defaultFunctionName
        if self.function_name is None and default_function:
            self.function_name = default_function
        if self.function_name is not None:
            if not self._is_multifunction() and self.function_name != "main":
                raise ValueError('function_name must be "main" for non multifunction model')
            if self._is_multifunction():
                f = self._get_function_description(self.function_name)
                self._model_input_names_set = {i.name for i in f.input}
        if not skip_model_load:
            self._load_predictor()

    def _input_features(self):
        if self._is_multifunction() and self.function_name:
            inputs = self._get_function_description(self.function_name).input
        else:
            inputs = self._spec.description.input
        return {f.name: f.type for f in inputs}

    def _load_predictor(self):
        """Plan the model for prediction. A model kind this build cannot run leaves no
        predictor (predict explains); a valid model using something unsupported (an op, a
        layer) warns now and raises that error at predict, as coremltools does when Core ML
        refuses a model; a broken model raises now."""
        kind = self._spec.WhichOneof("Type")
        if kind is None or not _core.is_model_kind_supported(self._spec.DESCRIPTOR.fields_by_name[kind].number):
            return
        function = (self.function_name if self._is_multifunction() else "") or ""
        threads = _num_threads()
        try:
            if self.package_path or self._model_path:
                self.__proxy__ = _core.Predictor.load(self.package_path or self._model_path, function, threads)
            else:
                self.__proxy__ = _core.Predictor.from_spec(self._spec.SerializeToString(), "", function, threads)
        except NotImplementedError as e:
            self._framework_error = e
            warnings.warn("You will not be able to run predict() on this model: %s" % e, RuntimeWarning, stacklevel=3)

    def _load_from_spec(self, spec, weights_dir):
        """Validate an in-memory spec; ML programs are written to a temporary package (as
        coremltools does) so their weights resolve and ``save`` can copy them."""
        if _contains_ml_program(spec):
            if spec.WhichOneof("Type") == "mlProgram" and weights_dir is None:
                raise ValueError(
                    "MLModel of type mlProgram cannot be loaded just from the model spec object: it also "
                    "needs the folder holding its weights. Pass it as the 'weights_dir' argument."
                )
            package = os.path.join(tempfile.mkdtemp(prefix="opencoreml-"), "model" + _MLPACKAGE_EXTENSION)
            _core.save_model_file(package, spec.SerializeToString(), os.path.abspath(weights_dir) if weights_dir else "")
            loaded, info = load_model_file(package)
            self.is_package = True
            self.is_temp_package = True
            self.package_path = info["path"]
            self._weights_dir = info["weights_dir"]
            return loaded
        _core.validate_spec(spec.SerializeToString(), "model spec", "")
        return spec

    # -- metadata -----------------------------------------------------------------------
    short_description = spec_field_property("_spec", "description.metadata.shortDescription")
    author = spec_field_property("_spec", "description.metadata.author")
    license = spec_field_property("_spec", "description.metadata.license")
    version = spec_field_property("_spec", "description.metadata.versionString")

    @property
    def user_defined_metadata(self):
        return self._spec.description.metadata.userDefined

    @property
    def input_description(self):
        return self._input_description

    @property
    def output_description(self):
        return self._output_description

    @property
    def weights_dir(self):
        return self._weights_dir

    @property
    def load_duration_in_nano_seconds(self):
        return None

    @property
    def last_predict_duration_in_nano_seconds(self):
        return None

    # -- spec and files -----------------------------------------------------------------
    def get_spec(self):
        """A deep copy of the model's protobuf specification."""
        return copy.deepcopy(self._spec)

    def save(self, save_path):
        """Save the model. A model with an ML program is saved as an ``.mlpackage`` (its weights
        live beside the spec); other models as ``.mlmodel``, or as a package when asked. The
        write is atomic: if it fails, whatever was at ``save_path`` is left untouched."""
        save_path = os.path.abspath(os.path.expanduser(os.fspath(save_path)))
        _, ext = os.path.splitext(save_path)
        if self.is_package:
            if not ext:
                save_path += _MLPACKAGE_EXTENSION
            elif ext != _MLPACKAGE_EXTENSION:
                raise ValueError(
                    "cannot save to %r: this model is an ML program (or holds one), whose weights are stored in "
                    "a separate weight file, so it can only be saved as a %s package, not as a single %s file"
                    % (save_path, _MLPACKAGE_EXTENSION, ext)
                )
            _core.save_model_file(save_path, self._spec.SerializeToString(), self._weights_dir or "", self.package_path)
            return
        if not ext:
            save_path += _MLMODEL_EXTENSION
        elif ext not in (_MLMODEL_EXTENSION, _MLPACKAGE_EXTENSION):
            raise ValueError("Extension must be %s or %s (not %s)" % (_MLMODEL_EXTENSION, _MLPACKAGE_EXTENSION, ext))
        _core.save_model_file(save_path, self._spec.SerializeToString())

    def get_compiled_model_path(self):
        raise NotImplementedError(
            "opencoreml runs models directly from .mlmodel/.mlpackage files; there is no compiled .mlmodelc"
        )

    # -- functions and states -----------------------------------------------------------
    def _is_multifunction(self):
        return len(self._spec.description.functions) > 0

    def _get_function_description(self, function_name):
        for f in self._spec.description.functions:
            if f.name == function_name:
                return f
        raise ValueError("function_name %s not found in the model." % function_name)

    def _is_stateful(self):
        if self._is_multifunction() and self.function_name:
            return len(self._get_function_description(self.function_name).state) > 0
        return len(self._spec.description.state) > 0

    def make_state(self):
        """A fresh state (zero-filled) for a stateful model, to pass to ``predict``."""
        return MLState(self._require_predictor().make_state())

    def _require_predictor(self):
        if self.__proxy__ is not None:
            return self.__proxy__
        if self._framework_error is not None:
            raise self._framework_error
        if self._skip_model_load:
            raise ValueError("this model was loaded with skip_model_load=True, so it cannot predict")
        raise NotImplementedError(
            "predict: models of kind %r cannot run in this opencoreml build yet (see the support table in README.md)"
            % self._spec.WhichOneof("Type")
        )

    # -- prediction -----------------------------------------------------------------------
    @staticmethod
    def _check_predict_data(data):
        if isinstance(data, list):
            if not all(isinstance(d, dict) for d in data):
                raise TypeError('"data" list must contain only dictionaries')
        elif not isinstance(data, dict):
            raise TypeError('"data" parameter must be either a dict or list of dict, got %s' % type(data).__name__)

    def _verify_input_name_exists(self, input_dict):
        for name in input_dict:
            if name not in self._model_input_names_set:
                raise KeyError(
                    'Provided key "%s", in the input dict, does not match any of the model input name(s), which are: %s'
                    % (name, ", ".join(sorted(self._model_input_names_set)))
                )

    def predict(self, data, state=None):
        """Run the model on ``data`` (a dict of feature name to value, or a list of such dicts
        for a batch) and return a dict (or list of dicts) of outputs."""
        self._check_predict_data(data)
        rows = data if isinstance(data, list) else [data]
        for row in rows:
            self._verify_input_name_exists(row)
        if isinstance(data, list) and state is not None:
            raise InvalidArgumentError("a state cannot be used with batch prediction")
        predictor = self._require_predictor()
        features = self._input_features()
        if isinstance(data, list):
            outputs = predictor.predict_batch([prepare_inputs(row, features) for row in data])
            return [convert_outputs(o) for o in outputs]
        if state is not None and not isinstance(state, MLState):
            raise TypeError("state must be an MLState made by make_state(), got %s" % type(state).__name__)
        native_state = state.__proxy__ if state is not None else None
        return convert_outputs(predictor.predict(prepare_inputs(data, features), native_state))

    @classmethod
    def get_available_compute_devices(cls):
        return []

    # -- display --------------------------------------------------------------------------
    def __repr__(self):
        from ._describe import describe_spec

        return describe_spec(self._spec, self._model_path, self.function_name)

    __str__ = __repr__
