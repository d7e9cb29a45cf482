"""Builds the benchmark artefacts under benchmarks/.cache/: for every model of models.py, its
inputs, the PyTorch outputs, an ONNX export and Core ML ML programs converted by Apple's
coremltools (FLOAT32, plus FLOAT16 for the CNNs).

Not a test. Needs: pip install torch==2.13.0 coremltools onnx onnxruntime
Run: python benchmarks/prepare.py [--force] [--models mlp,resnet,...]

A model's folder is rebuilt when models.py or prepare.py changed since it was made (or with --force).
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import warnings

import numpy as np

os.environ.setdefault("TQDM_DISABLE", "1")  # coremltools' progress bars would drown the output
HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache")
BATCH = 32  # samples in the throughput batch
sys.path.insert(0, HERE)

import models


def sources_digest():
    """Changes whenever the models or the way they are exported change."""
    h = hashlib.sha256()
    for name in ("models.py", "prepare.py"):
        with open(os.path.join(HERE, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def variants(spec):
    """(file stem, coremltools precision name) of every Core ML model made for `spec`."""
    out = [("model_fp32", "FLOAT32")]
    if spec.is_cnn:
        out.append(("model_fp16", "FLOAT16"))
    return out


def make_inputs(spec):
    rng = np.random.default_rng(1234)
    shape = (BATCH,) + spec.input_shape[1:]
    return rng.standard_normal(shape).astype(np.float32)


def export_onnx(model, example, path):
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The TorchScript exporter (dynamo=False) needs no onnxscript; a dynamic batch axis lets
        # ONNX Runtime run the whole throughput batch in one call.
        torch.onnx.export(model, (example,), path, input_names=[models.INPUT_NAME], output_names=[models.OUTPUT_NAME],
                          dynamic_axes={models.INPUT_NAME: {0: "batch"}, models.OUTPUT_NAME: {0: "batch"}},
                          opset_version=17, dynamo=False)


def convert_coreml(model, example, precision, path):
    import coremltools
    import torch

    traced = torch.jit.trace(model, example)
    mlmodel = coremltools.convert(
        traced,
        inputs=[coremltools.TensorType(name=models.INPUT_NAME, shape=tuple(example.shape))],
        outputs=[coremltools.TensorType(name=models.OUTPUT_NAME)],
        convert_to="mlprogram",
        compute_precision=getattr(coremltools.precision, precision),
        minimum_deployment_target=coremltools.target.iOS15,
    )
    if os.path.exists(path):
        shutil.rmtree(path)
    mlmodel.save(path)


def prepare(spec, digest, force):
    import torch

    folder = os.path.join(CACHE, spec.name)
    stamp_path = os.path.join(folder, "stamp.json")
    if not force and os.path.exists(stamp_path):
        with open(stamp_path) as f:
            if json.load(f).get("sources_digest") == digest:
                print("%-12s up to date" % spec.name)
                return
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)

    model = models.build(spec.name)
    batch = make_inputs(spec)
    with torch.inference_mode():
        expected = model(torch.from_numpy(batch)).numpy()
    np.save(os.path.join(folder, "inputs.npy"), batch)
    np.save(os.path.join(folder, "expected.npy"), expected)

    # The whole module is pickled so that run.py loads PyTorch's model the way a user would.
    torch.save(model, os.path.join(folder, "model.pt"))
    example = torch.from_numpy(batch[:1])
    export_onnx(model, example, os.path.join(folder, "model.onnx"))
    made = {"torch": "model.pt", "onnx": "model.onnx"}
    for stem, precision in variants(spec):
        convert_coreml(model, example, precision, os.path.join(folder, stem + ".mlpackage"))
        made[precision] = stem + ".mlpackage"

    with open(stamp_path, "w") as f:
        json.dump({"sources_digest": digest, "batch": BATCH, "input_shape": list(spec.input_shape), "files": made}, f, indent=1)
    print("%-12s prepared: %s" % (spec.name, ", ".join(sorted(made.values()))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--models", default=",".join(m.name for m in models.MODELS), help="comma-separated names")
    args = parser.parse_args()
    digest = sources_digest()
    for name in args.models.split(","):
        prepare(models.BY_NAME[name], digest, args.force)
    # run.py reads this instead of importing models.py, so that torch stays out of its process:
    # a child started from a big parent inherits the parent's peak RSS in ru_maxrss.
    index = {"models": [m.name for m in models.MODELS], "input": models.INPUT_NAME, "output": models.OUTPUT_NAME}
    with open(os.path.join(CACHE, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
