"""``print_network_spec``: print a neural-network model's interface and layers."""
from .spec_inspection_utils import (
    _get_feature_description_summary,
    _nn_of,
    _summarize_neural_network_spec,
    _summarize_neural_network_spec_code_style,
)


def _print_features(title, features):
    print(title)
    for name, description in features:
        print("  {} {}".format(name, description))


def _print_network_spec_parameter_info_style(mlmodel_spec, interface_only=False):
    inputs, outputs, layers = _summarize_neural_network_spec(mlmodel_spec)
    _print_features("Inputs:", inputs)
    _print_features("Outputs:", outputs)
    if layers is None:
        print("\n(This MLModel is not a neural network model or does not contain any layers)")
    if layers and not interface_only:
        print("\nLayers:")
        for index, (kind, name, in_blobs, out_blobs, params) in enumerate(layers):
            print("[{}] ({}) {}".format(index, kind, name))
            print("  Input blobs: {}".format(in_blobs))
            print("  Output blobs: {}".format(out_blobs))
            if params:
                print("  Parameters: ")
            for param, value in params:
                print("    {} = {}".format(param, value))
    print("\n")


def _print_network_spec_coding_style(mlmodel_spec, interface_only=False):
    description = mlmodel_spec.description
    inputs = [(f.name, _get_feature_description_summary(f)) for f in description.input]
    outputs = [(f.name, _get_feature_description_summary(f)) for f in description.output]
    _print_features("Inputs:", inputs)
    _print_features("Outputs:", outputs)
    if interface_only:
        return
    nn = _nn_of(mlmodel_spec)
    if nn is None:
        print("\n(This MLModel is not a neural network model)")
        return
    print("\n")
    _summarize_neural_network_spec_code_style(
        nn, input_names=[name for name, _ in inputs], output_names=[name for name, _ in outputs]
    )


def print_network_spec(mlmodel_spec, interface_only=False, style=""):
    """Print the inputs, outputs and layers of a neural-network spec.

    ``interface_only`` prints the inputs and outputs only; ``style="coding"`` prints the
    network as code (``outputs = layerType(inputs)`` lines) instead of one block of
    parameters per layer.
    """
    if style == "coding":
        _print_network_spec_coding_style(mlmodel_spec, interface_only=interface_only)
    else:
        _print_network_spec_parameter_info_style(mlmodel_spec, interface_only=interface_only)
