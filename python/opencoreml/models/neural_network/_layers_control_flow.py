"""Builder methods for control flow: branches and loops (whose bodies are nested
``NeuralNetwork`` messages, filled with ``NeuralNetworkBuilder(nn_spec=...)``), loop
break/continue, and copying a blob into another (how loop bodies update loop state)."""


def _set_network(target, network):
    """Copy ``network`` into the nested NeuralNetwork ``target`` (or leave it empty)."""
    if network:
        target.CopyFrom(network)
    else:
        target.SetInParent()


class ControlFlowLayers:
    def add_branch(self, name, input_name, if_branch=None, else_branch=None):
        """Run ``if_branch`` when the scalar ``input_name`` is true, else ``else_branch``.

        The branches may be filled after the call through the returned layer, e.g.
        ``NeuralNetworkBuilder(nn_spec=layer.branch.ifBranch)``.
        """
        layer = self._add_generic_layer(name, [input_name], [])
        _set_network(layer.branch.ifBranch, if_branch)
        _set_network(layer.branch.elseBranch, else_branch)
        return layer

    def add_loop(self, name, body_network=None, input_name=None, condition=None, condition_network=None,
                 max_iterations=None):
        """Repeat ``body_network``: ``input_name`` holds an iteration count; otherwise the
        blob ``condition``, computed by ``condition_network`` before every iteration,
        decides whether to go on. ``max_iterations`` caps the number of iterations."""
        layer = self._add_generic_layer(name, [] if input_name is None else [input_name], [])
        loop = layer.loop
        _set_network(loop.conditionNetwork, condition_network)
        if condition is not None:
            loop.conditionVar = str(condition)
        if max_iterations is not None:
            loop.maxLoopIterations = max_iterations
        _set_network(loop.bodyNetwork, body_network)
        return layer

    def add_loop_break(self, name):
        """Leave the enclosing loop (inside a loop body)."""
        layer = self._add_generic_layer(name, [], [])
        layer.loopBreak.SetInParent()
        return layer

    def add_loop_continue(self, name):
        """Skip to the next iteration of the enclosing loop (inside a loop body)."""
        layer = self._add_generic_layer(name, [], [])
        layer.loopContinue.SetInParent()
        return layer

    def add_copy(self, name, input_name, output_name):
        """Copy the input blob to ``output_name``, which may already exist (a loop
        variable updated by the body)."""
        previous_rank = self.rank_dict.get(output_name)
        layer = self._add_generic_layer(name, [input_name], [output_name])
        layer.copy.SetInParent()
        rank = self._get_rank(input_name)
        self.rank_dict[output_name] = -1 if previous_rank not in (None, rank) else rank
        return layer
