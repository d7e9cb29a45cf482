"""Runs corpus cases through opencoreml and compares with the source framework's outputs.

``check_case(case)`` loads the model (per run: function, flexible shape, PNG image inputs,
inline dictionary inputs, fresh or continued state), predicts every entry of ``runs`` and
checks each expected output within the case's fp32 tolerance (per output when given);
integer and string outputs, and class labels, must match exactly.
"""
import os

import numpy as np

import opencoreml as ct


def _tolerance(case, output_name):
    tol = case.info["tolerance"]
    per_output = tol.get("per_output") or {}
    chosen = per_output.get(output_name, tol)["fp32_runtime"]
    return chosen["rtol"], chosen["atol"]


def _scalar_input(value, feature_type):
    if feature_type == "doubleType":
        return float(value)
    if feature_type == "int64Type":
        return int(value)
    if feature_type == "stringType":
        return str(value)
    return value


def build_inputs(case, run, inputs_npz):
    from PIL import Image

    kinds = {f["name"]: f["type"] for f in case.info["inputs"]}
    for function in case.info.get("functions", []):
        kinds.update({f["name"]: f["type"] for f in function["inputs"]})
    data = {}
    for name, key in run["inputs"].items():
        if isinstance(key, dict) and "dictionary" in key:
            data[name] = dict(key["dictionary"])
        elif name in run.get("image_files", {}):
            data[name] = Image.open(os.path.join(case.folder, run["image_files"][name]))
        else:
            value = inputs_npz[key]
            data[name] = _scalar_input(value, kinds.get(name)) if value.ndim == 0 else value
    return data


def compare_output(case, name, actual, expected):
    """Assert one output matches; returns the max abs error for reporting."""
    labels = case.info.get("class_labels")
    if isinstance(actual, dict):
        assert labels is not None, "%s: dictionary output but the case has no class_labels" % name
        assert sorted(map(str, actual)) == sorted(map(str, labels)), "%s: wrong dictionary keys" % name
        actual = np.array([actual[label] for label in labels], dtype=np.float64)
    expected = np.asarray(expected)
    if expected.dtype.kind in "iuUSOb" or isinstance(actual, (str, int, np.integer)) and expected.dtype.kind != "f":
        got = np.asarray(actual)
        if expected.dtype.kind in "US":
            got = got.astype(str)
        assert got.reshape(-1).tolist() == expected.reshape(-1).tolist(), "%s: %r != %r" % (name, got, expected)
        return 0.0
    actual = np.asarray(actual, dtype=np.float64)
    if actual.shape != expected.shape:
        squeezed = actual.reshape([d for d in actual.shape if d != 1]) if actual.size == expected.size else actual
        assert squeezed.size == expected.size, "%s: shape %s, expected %s" % (name, actual.shape, expected.shape)
        actual = squeezed.reshape(expected.shape)
    rtol, atol = _tolerance(case, name)
    err = np.abs(actual - expected)
    bound = atol + rtol * np.abs(expected)
    worst = int(np.argmax(err - bound)) if err.size else 0
    assert np.all(err <= bound), "%s: max excess %.3g at flat index %d (got %r, expected %r; rtol=%g atol=%g)" % (
        name, (err - bound).flat[worst], worst, actual.flat[worst], expected.flat[worst], rtol, atol)
    return float(err.max()) if err.size else 0.0


def check_case(case, compute_units=ct.ComputeUnit.CPU_ONLY):
    """Run every entry of the case's ``runs`` and compare all expected outputs."""
    inputs_npz = np.load(os.path.join(case.folder, "inputs.npz"), allow_pickle=False)
    expected_npz = np.load(os.path.join(case.folder, "expected.npz"), allow_pickle=False)
    models = {}
    state = None
    for index, run in enumerate(case.info["runs"]):
        function = run.get("function")
        if function not in models:
            models[function] = ct.models.MLModel(case.model_path, function_name=function, compute_units=compute_units)
        model = models[function]
        if run.get("state") == "new":
            state = model.make_state()
        data = build_inputs(case, run, inputs_npz)
        outputs = model.predict(data, state=state) if run.get("state") else model.predict(data)
        for name, key in run["expected"].items():
            assert name in outputs, "run %d: output %r missing (got %s)" % (index, name, sorted(outputs))
            try:
                compare_output(case, name, outputs[name], expected_npz[key])
            except AssertionError as e:
                raise AssertionError("%s run %d: %s" % (case.name, index, e)) from None
