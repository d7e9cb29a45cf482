"""Every NeuralNetworkLayer kind is predicted by some test of the neural-network suite: this
file runs the other tests/test_nn_*.py files in a child pytest with a plugin that records the
layer kinds (also inside branch and loop networks) of every neural network passed to
MLModel.predict, and fails naming any kind of the proto's `layer` oneof that none predicts."""
import os
import subprocess
import sys
import textwrap

from opencoreml.proto import NeuralNetwork_pb2

HERE = os.path.dirname(os.path.abspath(__file__))

PLUGIN = textwrap.dedent('''
    import json, os
    import opencoreml as ct

    seen = set()
    _predict = ct.models.MLModel.predict

    def _walk(layers):
        for layer in layers:
            kind = layer.WhichOneof("layer")
            seen.add(kind)
            if kind == "loop":
                _walk(layer.loop.conditionNetwork.layers)
                _walk(layer.loop.bodyNetwork.layers)
            elif kind == "branch":
                _walk(layer.branch.ifBranch.layers)
                _walk(layer.branch.elseBranch.layers)

    def predict(self, *args, **kwargs):
        spec = self.get_spec()
        kind = spec.WhichOneof("Type")
        if kind in ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor"):
            _walk(getattr(spec, kind).layers)
        return _predict(self, *args, **kwargs)

    ct.models.MLModel.predict = predict

    def pytest_sessionfinish(session, exitstatus):
        with open(os.environ["OCML_KINDS_OUT"], "w") as f:
            json.dump(sorted(seen), f)
''')


def test_every_layer_kind_is_predicted_by_a_test(tmp_path):
    import json

    (tmp_path / "kind_recorder.py").write_text(PLUGIN)
    files = sorted(f for f in os.listdir(HERE)
                   if f.startswith("test_nn_") and f.endswith(".py") and f != os.path.basename(__file__))
    out = tmp_path / "kinds.json"
    env = dict(os.environ, OCML_KINDS_OUT=str(out),
               PYTHONPATH=os.pathsep.join([str(tmp_path), HERE, os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "kind_recorder", "-p", "no:cacheprovider",
                          *files], cwd=HERE, env=env, capture_output=True, text=True, timeout=900)
    # A failing test there fails in the main run too; here only a crash of the run matters.
    assert run.returncode in (0, 1) and out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    seen = set(json.loads(out.read_text()))
    kinds = [f.name for f in NeuralNetwork_pb2.NeuralNetworkLayer.DESCRIPTOR.oneofs_by_name["layer"].fields]
    assert len(kinds) == 158
    assert sorted(set(kinds) - seen) == []
