"""Every NeuralNetworkLayer kind is predicted by some test of the neural-network suite: this
file runs the other tests/test_nn_*.py files in a child pytest with a plugin that records the
layer kinds (also inside branch and loop networks) of every neural network passed to
MLModel.predict, and fails naming any kind of the proto's `layer` oneof that none predicts."""
from opencoreml.proto import NeuralNetwork_pb2

from suite_recorder import predicted_in_suite

RECORD_KINDS = '''
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

    def _record(spec):
        kind = spec.WhichOneof("Type")
        if kind in ("neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor"):
            _walk(getattr(spec, kind).layers)
'''


def test_every_layer_kind_is_predicted_by_a_test(tmp_path):
    seen = predicted_in_suite(tmp_path, "test_nn_", __file__, RECORD_KINDS, timeout=900)
    kinds = [f.name for f in NeuralNetwork_pb2.NeuralNetworkLayer.DESCRIPTOR.oneofs_by_name["layer"].fields]
    assert len(kinds) == 158
    assert sorted(set(kinds) - seen) == []
