"""Every neural-network model of the corpus (neuralNetwork / Classifier / Regressor written by
coremltools 9.0) predicts the source framework's outputs within the case's fp32 tolerance,
through the NN front end and the ML program engine."""
import pytest

from conftest import CASES
from corpus_runner import check_case

NN_KINDS = {"neuralNetwork", "neuralNetworkClassifier", "neuralNetworkRegressor"}
NN_CASES = [c for c in CASES if c.info["model_type"] in NN_KINDS]


def test_the_corpus_has_the_neural_networks():
    names = {c.name for c in NN_CASES}
    assert {"torch_mlp_nn", "nnb_dense_activations", "nnb_conv_pool", "nnb_nd_ops", "torch_cnn_nn_ios14",
            "torch_image_rgb_nn", "torch_lstm_nn", "torch_transformer_encoder_nn",
            "torch_flex_rangedim_seqconv_nn"} <= names


@pytest.mark.parametrize("case", NN_CASES, ids=[c.name for c in NN_CASES])
def test_neural_network_case(case):
    check_case(case)
