"""Pipeline assembly and conversion checks of ``opencoreml.utils`` (coremltools'
``make_pipeline`` and ``evaluate_*`` functions): ``make_pipeline`` chains loaded models into
one pipeline model; the ``evaluate_*`` functions run a model over test data and count how
far its predictions are from those of the framework it was converted from."""
import math as _math
import os as _os
import shutil as _shutil
import tempfile as _tempfile

import numpy as _np

from .._enums import ComputeUnit as _ComputeUnit
from ..proto import MIL_pb2 as _MIL_pb2
from ..proto import Model_pb2 as _Model_pb2

_WEIGHTS_PREFIX = "@model_path/weights/"


# ---------------------------------------------------------------------------------------
# make_pipeline


def _blob_values(message):
    """Every ``BlobFileValue`` inside a protobuf message (an ML program, or a pipeline holding one)."""
    if isinstance(message, _MIL_pb2.Value) and message.WhichOneof("value") == "blobFileValue":
        yield message.blobFileValue
        return
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.message_type.GetOptions().map_entry:
            items = value.values()
        elif hasattr(value, "ListFields"):
            items = (value,)
        else:  # a repeated field
            items = value
        for item in items:
            if hasattr(item, "ListFields"):
                yield from _blob_values(item)


def _prefix_weight_files(spec, prefix):
    """Point the spec's ``@model_path/weights/<file>`` references at ``<prefix><file>``, so the
    weight files of several models can sit in one package."""
    for blob in _blob_values(spec):
        if blob.fileName.startswith(_WEIGHTS_PREFIX):
            blob.fileName = _WEIGHTS_PREFIX + prefix + blob.fileName[len(_WEIGHTS_PREFIX):]


def _pipeline_interface(pipeline_spec, specs):
    """Give the pipeline the inputs no earlier model produces and the outputs no later model
    consumes; an output without a declared shape takes the type the next model expects."""
    available = set()
    for spec in specs:
        for feature in spec.description.input:
            if feature.name not in available:
                pipeline_spec.description.input.add().MergeFrom(feature)
                available.add(feature.name)
        available.update(f.name for f in spec.description.output)

    consumed = set()
    for spec in reversed(specs):
        for feature in spec.description.output:
            if feature.name not in consumed:
                pipeline_spec.description.output.add().MergeFrom(feature)
        consumed.update(f.name for f in spec.description.input)

    for earlier, later in zip(specs, specs[1:]):
        expected = {f.name: f.type for f in later.description.input}
        for feature in earlier.description.output:
            if feature.type.WhichOneof("Type") == "multiArrayType" and len(feature.type.multiArrayType.shape) != 0:
                continue
            if feature.name in expected:
                feature.type.CopyFrom(expected[feature.name])


def make_pipeline(*models, compute_units=None):
    """Chain two or more ``MLModel`` s into one pipeline model, features flowing by name.

    ``compute_units`` defaults to the models' common ``compute_unit`` (it must be given when
    they differ). The models' weight files are copied next to the pipeline, renamed per model.
    """
    from .model import MLModel

    if len(models) < 2:
        raise ValueError("make_pipeline needs two or more models, got %d" % len(models))
    if compute_units is not None and not isinstance(compute_units, _ComputeUnit):
        raise TypeError('"compute_units" parameter must be None or of type opencoreml.ComputeUnit')
    if compute_units is None:
        if not all(m.compute_unit is models[0].compute_unit for m in models[1:]):
            raise ValueError('Models have different compute_unit values. The "compute_units" parameter must be specified.')
        compute_units = models[0].compute_unit

    specs = [m.get_spec() for m in models]
    pipeline_spec = _Model_pb2.Model()
    pipeline_spec.specificationVersion = max(s.specificationVersion for s in specs)
    _pipeline_interface(pipeline_spec, specs)

    weights_dir = _tempfile.mkdtemp(prefix="opencoreml-pipeline-weights-")
    try:
        for index, (model, spec) in enumerate(zip(models, specs)):
            prefix = "%d-" % index
            _prefix_weight_files(spec, prefix)
            pipeline_spec.pipeline.models.append(spec)
            if model.weights_dir and _os.path.isdir(model.weights_dir):
                for name in _os.listdir(model.weights_dir):
                    source = _os.path.join(model.weights_dir, name)
                    if _os.path.isfile(source):
                        _shutil.copyfile(source, _os.path.join(weights_dir, prefix + name))
        return MLModel(pipeline_spec, compute_units=compute_units, weights_dir=weights_dir)
    finally:
        # MLModel copied the weights into its own package.
        _shutil.rmtree(weights_dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# evaluate_*


def _as_model(model):
    from .model import MLModel

    return model if isinstance(model, MLModel) else MLModel(model)


def _as_frame(data):
    """``data`` as a pandas DataFrame; a string is read as a CSV file."""
    if isinstance(data, (str, _os.PathLike)):
        try:
            import pandas
        except ImportError:
            raise ImportError(
                "reading evaluation data from a CSV file needs pandas, which is not installed (pip install pandas)"
            ) from None
        return pandas.read_csv(data)
    if not hasattr(data, "iterrows"):
        raise TypeError("data must be a pandas DataFrame or the path of a CSV file, got %s" % type(data).__name__)
    return data


def _model_inputs(model, row, leave_out=()):
    """The entries of a data row that are inputs of the model."""
    names = {f.name for f in model._spec.description.input}
    return {k: v for k, v in dict(row).items() if k in names and k not in leave_out}


def _report(ret, verbose):
    if verbose:
        print("results: {}".format(ret))
    return ret


def evaluate_regressor(model, data, target="target", verbose=False):
    """Compare a regressor's predictions of ``target`` with the ``target`` column of
    ``data`` (a DataFrame or CSV path). Returns ``{"samples", "rmse", "max_error"}``."""
    model, data = _as_model(model), _as_frame(data)
    if verbose:
        print("\nOther Framework\t\tPredicted\t\tDelta")
    max_error = 0
    squared = 0
    for _, row in data.iterrows():
        predicted = model.predict(_model_inputs(model, row))[target]
        expected = row[target]
        delta = predicted - expected
        if verbose:
            print("{}\t\t\t\t{}\t\t\t{:0.4f}".format(expected, predicted, delta))
        max_error = max(abs(delta), max_error)
        squared += delta * delta
    return _report({"samples": len(data), "rmse": _math.sqrt(squared / len(data)), "max_error": max_error}, verbose)


def evaluate_classifier(model, data, target="target", verbose=False):
    """Count the rows of ``data`` whose predicted ``target`` label differs from the
    ``target`` column. Returns ``{"num_samples", "num_errors"}``."""
    model, data = _as_model(model), _as_frame(data)
    if verbose:
        print("\nOther Framework\t\tPredicted")
    errors = 0
    for _, row in data.iterrows():
        predicted = model.predict(_model_inputs(model, row))[target]
        expected = row[target]
        if predicted != expected:
            errors += 1
        if verbose:
            print("{}\t\t\t\t{}".format(expected, predicted))
    return _report({"num_samples": len(data), "num_errors": errors}, verbose)


def evaluate_classifier_with_probabilities(model, data, probabilities="probabilities", verbose=False):
    """Compare the class-probability dictionary the model outputs as ``probabilities`` with
    the dictionaries in that column of ``data``. Returns ``{"num_samples",
    "max_probability_error", "num_key_mismatch"}``; rows whose classes differ count as key
    mismatches and add no error."""
    model, data = _as_model(model), _as_frame(data)
    if verbose:
        print("\nOther Framework\t\tPredicted")
    max_error, mismatches = 0, 0
    for _, row in data.iterrows():
        predicted = model.predict(_model_inputs(model, row, leave_out=(probabilities,)))[probabilities]
        expected = row[probabilities]
        if set(predicted.keys()) != set(expected.keys()):
            if verbose:
                print("Different classes: ", str(predicted.keys()), str(expected.keys()))
            mismatches += 1
            continue
        for label, value in predicted.items():
            delta = value - expected[label]
            if verbose:
                print(delta, value, expected[label])
            max_error = max(abs(delta), max_error)
        if verbose:
            print("")
    return _report(
        {"num_samples": len(data), "max_probability_error": max_error, "num_key_mismatch": mismatches}, verbose
    )


def _plain(value):
    """``value`` with sparse matrices made dense and containers rebuilt, for comparison."""
    if isinstance(value, (str, int, float, _np.ndarray)):
        return value
    if hasattr(value, "todense"):  # scipy.sparse
        return _np.asarray(value.todense())
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, _np.generic):
        return value.item()
    raise TypeError("cannot compare values of type %s" % type(value).__name__)


def _same(x, y):
    """Equality with a 1e-5 tolerance for arrays (absolute) and floats (relative)."""
    if isinstance(x, _np.ndarray) or isinstance(y, _np.ndarray):
        try:
            return bool((abs(_np.asarray(x) - _np.asarray(y)) < 1e-5).all())
        except Exception:
            return False
    if isinstance(x, dict):
        return isinstance(y, dict) and set(x) == set(y) and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, float):
        return x == y or abs(x - y) < 1e-5 * (abs(x) + abs(y))
    return bool(x == y)


def evaluate_transformer(model, input_data, reference_output, verbose=False):
    """Run the model on each dict of ``input_data`` and count the rows whose outputs differ
    from the dict at the same position of ``reference_output`` (only the outputs it names
    are compared). Returns ``{"num_samples", "num_errors"}``."""
    model = _as_model(model)
    if verbose:
        print(model)
        print("\nOther Framework\t\tPredicted")
    errors = 0
    for index, row in enumerate(input_data):
        if not isinstance(row, dict):
            raise TypeError("input_data must be a list of dicts, item %d is %s" % (index, type(row).__name__))
        expected = _plain(reference_output[index])
        if not isinstance(expected, dict):
            raise TypeError("reference_output must be a list of dicts, item %d is %s" % (index, type(expected).__name__))
        if verbose:
            print("Input:\n\t", str(row))
            print("Correct output:\n\t", str(expected))
        predicted = _plain(model.predict(_plain(row)))
        trimmed = {k: predicted[k] for k in expected}
        if verbose:
            print("Predicted:\n\t", str(trimmed))
        if not _same(trimmed, expected):
            errors += 1
    return _report({"num_samples": len(input_data), "num_errors": errors}, verbose)
