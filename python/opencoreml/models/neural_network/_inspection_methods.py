"""Builder methods that print what has been built so far: layers (newest first), loss
layers, the optimizer, updatable layers, interface features and layer channel counts."""
from .spec_inspection_utils import _summarize_network_layer_info

_INDENT = " " * 10


def _print_range(label, param):
    print("{}: {}, min: {}, max: {}".format(label, param.defaultValue, param.range.minValue, param.range.maxValue))


def _print_features(features):
    count = len(features)
    for offset, feature in enumerate(reversed(features)):
        print("[Id: {}] Name: {}".format(count - offset - 1, feature.name))
        print(_INDENT + "Type: {}".format(feature.type))


class InspectionMethods:
    def inspect_layers(self, last=-1, verbose=False):
        """Print the ``last`` most recent layers (all if negative), parameters included
        when ``verbose``."""
        layers = self.nn_spec.layers
        count = len(layers)
        if last < 0:
            last = count
        for offset, layer in enumerate(list(layers)[::-1][:last]):
            kind, name, in_blobs, out_blobs, params = _summarize_network_layer_info(layer)
            print("[Id: {}], Name: {} (Type: {})".format(count - offset - 1, name, kind))
            print(_INDENT + "Updatable: {}".format(layer.isUpdatable))
            print(_INDENT + "Input blobs: {}".format(in_blobs))
            print(_INDENT + "Output blobs: {}".format(out_blobs))
            if verbose and params:
                print(_INDENT + "Parameters: ")
                for param, value in params:
                    print(" " * 14 + "{} = {}".format(param, value))

    def inspect_loss_layers(self):
        """Print the loss layers of an updatable model."""
        losses = self.nn_spec.updateParams.lossLayers
        count = len(losses)
        if count < 1:
            print("no loss layer detected.")
        for offset, loss in enumerate(list(losses)[::-1]):
            kind = loss.WhichOneof("LossLayerType")
            params = getattr(loss, kind) if kind else None
            print("[Id: {}], Name: {} (Type: {})".format(count - offset - 1, loss.name, kind))
            print(_INDENT + "Loss Input: {}".format(params.input if params else None))
            print(_INDENT + "Loss Target: {}".format(params.target if params else None))

    def inspect_optimizer(self):
        """Print the optimizer of an updatable model and its hyper-parameters."""
        optimizer = self.nn_spec.updateParams.optimizer
        kind = optimizer.WhichOneof("OptimizerType")
        print("Optimizer Type: {}".format(kind))
        if kind is None:
            return
        params = getattr(optimizer, kind)
        _print_range("lr", params.learningRate)
        print("batch: {}, allowed_set: {}".format(params.miniBatchSize.defaultValue, params.miniBatchSize.set.values))
        if kind == "sgdOptimizer":
            _print_range("momentum", params.momentum)
        else:
            _print_range("beta1", params.beta1)
            _print_range("beta2", params.beta2)
            _print_range("epsilon", params.eps)

    def inspect_updatable_layers(self):
        """Print the layers marked updatable."""
        for layer in list(self.nn_spec.layers)[::-1]:
            if layer.isUpdatable:
                kind, name, in_blobs, out_blobs, _ = _summarize_network_layer_info(layer)
                print("Name: {} (Type: {})".format(name, kind))
                print(_INDENT + "Input blobs: {}".format(in_blobs))
                print(_INDENT + "Output blobs: {}".format(out_blobs))

    def inspect_input_features(self):
        """Print the model's inputs, last first."""
        _print_features(self.spec.description.input)

    def inspect_output_features(self):
        """Print the model's outputs, last first."""
        _print_features(self.spec.description.output)

    def _print_layer_fields(self, layer_name, kind, article, fields):
        """Print ``fields`` of the ``kind`` layer ``layer_name`` (nothing without a spec)."""
        if self.spec is None:
            return
        if layer_name not in self.layer_specs:
            raise ValueError("Layer %s does not exist." % layer_name)
        layer = self.layer_specs[layer_name]
        if layer.WhichOneof("layer") != kind:
            raise ValueError("Layer %s is not %s %s layer." % (layer_name, article, kind))
        params = getattr(layer, kind)
        for field in fields:
            print("{}: {}".format(field, getattr(params, field)))

    def inspect_conv_channels(self, layer_name):
        """Print the output and kernel channel counts of a convolution layer."""
        self._print_layer_fields(layer_name, "convolution", "a", ("outputChannels", "kernelChannels"))

    def inspect_innerproduct_channels(self, layer_name):
        """Print the input and output channel counts of an inner product layer."""
        self._print_layer_fields(layer_name, "innerProduct", "an", ("inputChannels", "outputChannels"))
