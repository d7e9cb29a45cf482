"""Builder methods for recurrent layers over sequences: simple RNN, GRU, and
uni-/bi-directional LSTM, with their gate activations and weight layouts."""
from ._layer_fields import upper
from ._weights import set_floats

# Activation names accepted for recurrent gates and the ActivationParams field each sets.
_RECURRENT_ACTIVATIONS = {
    "SIGMOID": "sigmoid",
    "TANH": "tanh",
    "LINEAR": "linear",
    "SIGMOID_HARD": "sigmoidHard",
    "HARD_SIGMOID": "sigmoidHard",
    "SCALED_TANH": "scaledTanh",
    "RELU": "ReLU",
}

# LSTM gates in the builder's argument order (input, forget, output, cell / block input).
_LSTM_GATES = ("inputGate", "forgetGate", "outputGate", "blockInput")
_LSTM_PEEPHOLES = ("inputGate", "forgetGate", "outputGate")


def _activation_field(activation):
    """The ActivationParams field selecting ``activation`` (a name such as "TANH")."""
    if isinstance(activation, bytes):
        activation = activation.decode("utf8")
    field = _RECURRENT_ACTIVATIONS.get(upper(activation))
    if field is None:
        raise TypeError("Unsupported activation type with Recurrent layer: %s." % activation)
    return field


def _add_activations(container, fields):
    for field in fields:
        getattr(container.add(), field).SetInParent()


def _check_gate_lists(layer_name, gates, **lists):
    """Each list given (not None) must hold one array per gate; peepholes (``peep``) exist
    for all gates but the cell gate."""
    for what, values in lists.items():
        expected = gates - 1 if what.startswith("peep") else gates
        if values is not None and len(values) != expected:
            raise ValueError(
                "Layer '%s': %s must list %d arrays, one per gate, got %d." % (layer_name, what, expected, len(values))
            )


def _fill_gate_weights(weights, gates, W_h, W_x, b, peep=None, peep_gates=()):
    """Gate matrices ``W_x`` (input) and ``W_h`` (recursion), biases ``b`` and peepholes
    ``peep``, listed in the order of ``gates`` (``peep_gates``), into the fields
    <gate>WeightMatrix, <gate>RecursionMatrix, <gate>BiasVector and <gate>PeepholeVector."""
    for gate, recursion, matrix in zip(gates, W_h, W_x):
        set_floats(getattr(weights, gate + "WeightMatrix"), matrix)
        set_floats(getattr(weights, gate + "RecursionMatrix"), recursion)
    if b is not None:
        for gate, bias in zip(gates, b):
            set_floats(getattr(weights, gate + "BiasVector"), bias)
    if peep is not None:
        for gate, vector in zip(peep_gates, peep):
            set_floats(getattr(weights, gate + "PeepholeVector"), vector)


def _fill_lstm_weights(weights, W_h, W_x, b, peep):
    """LSTM gate lists in the order input, forget, output, cell gate."""
    _fill_gate_weights(weights, _LSTM_GATES, W_h, W_x, b, peep, _LSTM_PEEPHOLES)


def _set_lstm_params(params, b, peep, output_all, forget_bias, coupled_input_forget_gate, cell_clip_threshold):
    params.sequenceOutput = output_all
    params.hasBiasVectors = b is not None
    params.hasPeepholeVectors = peep is not None
    params.forgetBias = forget_bias
    params.coupledInputAndForgetGate = coupled_input_forget_gate
    params.cellClipThreshold = cell_clip_threshold


class RecurrentLayers:
    def add_simple_rnn(
        self,
        name,
        W_h,
        W_x,
        b,
        hidden_size,
        input_size,
        activation,
        input_names,
        output_names,
        output_all=False,
        reverse_input=False,
    ):
        """Simple recurrent layer h = activation(W_x x + W_h h + b): ``W_h`` is
        (hidden_size, hidden_size), ``W_x`` (hidden_size, input_size), ``b``
        (hidden_size,) or None. Inputs [x, h_input], outputs [y, h_output]."""
        activation = _activation_field(activation)
        layer = self._add_generic_layer(name, input_names, output_names)
        params = layer.simpleRecurrent
        params.reverseInput = reverse_input
        params.inputVectorSize = input_size
        params.outputVectorSize = hidden_size
        params.hasBiasVector = b is not None
        params.sequenceOutput = output_all
        getattr(params.activation, activation).SetInParent()
        set_floats(params.weightMatrix, W_x)
        set_floats(params.recursionMatrix, W_h)
        if b is not None:
            set_floats(params.biasVector, b)
        return layer

    def add_gru(
        self,
        name,
        W_h,
        W_x,
        b,
        hidden_size,
        input_size,
        input_names,
        output_names,
        activation="TANH",
        inner_activation="SIGMOID_HARD",
        output_all=False,
        reverse_input=False,
    ):
        """Gated recurrent unit. ``W_h`` = [R_z, R_r, R_o] (hidden x hidden), ``W_x`` =
        [W_z, W_r, W_o] (hidden x input), ``b`` = [b_z, b_r, b_o] or None, for the update,
        reset and output gates. ``inner_activation`` drives the update and reset gates,
        ``activation`` the output gate."""
        activations = [_activation_field(a) for a in (inner_activation, activation)]
        _check_gate_lists(name, 3, W_h=W_h, W_x=W_x, b=b)
        layer = self._add_generic_layer(name, input_names, output_names)
        params = layer.gru
        params.inputVectorSize = input_size
        params.outputVectorSize = hidden_size
        params.hasBiasVectors = b is not None
        params.sequenceOutput = output_all
        params.reverseInput = reverse_input
        _add_activations(params.activations, activations)
        _fill_gate_weights(params, ("updateGate", "resetGate", "outputGate"), W_h, W_x, b)
        return layer

    def add_unilstm(
        self,
        name,
        W_h,
        W_x,
        b,
        hidden_size,
        input_size,
        input_names,
        output_names,
        inner_activation="SIGMOID",
        cell_state_update_activation="TANH",
        output_activation="TANH",
        peep=None,
        output_all=False,
        forget_bias=False,
        coupled_input_forget_gate=False,
        cell_clip_threshold=50000.0,
        reverse_input=False,
    ):
        """Uni-directional LSTM. ``W_h`` = [R_i, R_f, R_o, R_z] (hidden x hidden), ``W_x``
        = [W_i, W_f, W_o, W_z] (hidden x input), ``b`` = [b_i, b_f, b_o, b_z] or None,
        ``peep`` = [p_i, p_f, p_o] or None, for the input, forget, output and cell gates.
        Inputs [x, h_input, c_input], outputs [y, h_output, c_output]."""
        activations = [_activation_field(a)
                       for a in (inner_activation, cell_state_update_activation, output_activation)]
        _check_gate_lists(name, 4, W_h=W_h, W_x=W_x, b=b, peep=peep)
        layer = self._add_generic_layer(name, input_names, output_names)
        lstm = layer.uniDirectionalLSTM
        lstm.inputVectorSize = input_size
        lstm.outputVectorSize = hidden_size
        lstm.reverseInput = reverse_input
        _set_lstm_params(lstm.params, b, peep, output_all, forget_bias, coupled_input_forget_gate,
                         cell_clip_threshold)
        _add_activations(lstm.activations, activations)
        _fill_lstm_weights(lstm.weightParams, W_h, W_x, b, peep)
        return layer

    def add_bidirlstm(
        self,
        name,
        W_h,
        W_x,
        b,
        W_h_back,
        W_x_back,
        b_back,
        hidden_size,
        input_size,
        input_names,
        output_names,
        inner_activation="SIGMOID",
        cell_state_update_activation="TANH",
        output_activation="TANH",
        peep=None,
        peep_back=None,
        output_all=False,
        forget_bias=False,
        coupled_input_forget_gate=False,
        cell_clip_threshold=50000.0,
    ):
        """Bi-directional LSTM: forward weights as in ``add_unilstm`` and the backward
        ones in ``W_h_back``, ``W_x_back``, ``b_back``, ``peep_back``. Inputs [x, h_input,
        c_input, h_reverse_input, c_reverse_input], outputs in the same pattern."""
        activations = [_activation_field(a)
                       for a in (inner_activation, cell_state_update_activation, output_activation)]
        _check_gate_lists(name, 4, W_h=W_h, W_x=W_x, b=b, peep=peep, W_h_back=W_h_back, W_x_back=W_x_back,
                          b_back=b_back, peep_back=peep_back)
        layer = self._add_generic_layer(name, input_names, output_names)
        lstm = layer.biDirectionalLSTM
        lstm.inputVectorSize = input_size
        lstm.outputVectorSize = hidden_size
        _set_lstm_params(lstm.params, b, peep, output_all, forget_bias, coupled_input_forget_gate,
                         cell_clip_threshold)
        _add_activations(lstm.activationsForwardLSTM, activations)
        _add_activations(lstm.activationsBackwardLSTM, activations)
        _fill_lstm_weights(lstm.weightParams.add(), W_h, W_x, b, peep)
        _fill_lstm_weights(lstm.weightParams.add(), W_h_back, W_x_back, b_back, peep_back)
        return layer
