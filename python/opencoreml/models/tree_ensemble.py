"""Builders for tree ensemble models (``treeEnsembleRegressor`` / ``treeEnsembleClassifier``).

Same API as ``coremltools.models.tree_ensemble``: create a builder with the model's
interface, add branch and leaf nodes tree by tree, then save or load ``builder.spec``.
Feature indices in branch nodes count the inputs' values in declaration order (a scalar
input is one value, an ``Array(n)`` input ``n`` values).
"""
from collections.abc import Iterable as _Iterable

from .. import SPECIFICATION_VERSION as _SPECIFICATION_VERSION
from ..proto import Model_pb2 as _Model_pb2
from ..proto import TreeEnsemble_pb2 as _TreeEnsemble_pb2
from ._interface_management import set_classifier_interface_params, set_regressor_interface_params

_TreeNode = _TreeEnsemble_pb2.TreeEnsembleParameters.TreeNode


class TreeEnsembleBase:
    """Shared node-building methods; use :class:`TreeEnsembleRegressor` or
    :class:`TreeEnsembleClassifier`."""

    def __init__(self):
        self.spec = _Model_pb2.Model()
        self.spec.specificationVersion = _SPECIFICATION_VERSION

    def set_default_prediction_value(self, values):
        """Set the base prediction that activated leaf values are added to.

        A scalar makes a one-dimensional prediction; a list gives one value per prediction
        dimension (and sets ``numPredictionDimensions`` to its length).
        """
        if not isinstance(values, list):
            values = [float(values)]
        self.tree_parameters.numPredictionDimensions = len(values)
        self.tree_parameters.basePredictionValue.extend(values)

    def set_post_evaluation_transform(self, value):
        """Set the transform applied to the summed scores: ``"NoTransform"`` (default),
        ``"Classification_SoftMax"``, ``"Regression_Logistic"`` or
        ``"Classification_SoftMaxWithZeroClassReference"``."""
        self.tree_spec.postEvaluationTransform = _TreeEnsemble_pb2.TreeEnsemblePostEvaluationTransform.Value(value)

    def add_branch_node(
        self,
        tree_id,
        node_id,
        feature_index,
        feature_value,
        branch_mode,
        true_child_id,
        false_child_id,
        relative_hit_rate=None,
        missing_value_tracks_true_child=False,
    ):
        """Add a branch to tree ``tree_id``: when ``input[feature_index] <mode>
        feature_value`` holds, evaluation continues at ``true_child_id``, otherwise at
        ``false_child_id``.

        ``branch_mode`` is one of ``"BranchOnValueLessThanEqual"``,
        ``"BranchOnValueLessThan"``, ``"BranchOnValueGreaterThanEqual"``,
        ``"BranchOnValueGreaterThan"``, ``"BranchOnValueEqual"`` or
        ``"BranchOnValueNotEqual"``. ``missing_value_tracks_true_child`` sends NaN inputs to
        the true child (otherwise to the false child). ``relative_hit_rate`` is an
        optimisation hint that does not change results.
        """
        node = self.tree_parameters.nodes.add()
        node.treeId = tree_id
        node.nodeId = node_id
        node.branchFeatureIndex = int(feature_index)
        node.branchFeatureValue = feature_value
        node.trueChildNodeId = true_child_id
        node.falseChildNodeId = false_child_id
        node.nodeBehavior = _TreeNode.TreeNodeBehavior.Value(branch_mode)
        if relative_hit_rate is not None:
            node.relativeHitRate = relative_hit_rate
        node.missingValueTracksTrueChild = missing_value_tracks_true_child

    def add_leaf_node(self, tree_id, node_id, values, relative_hit_rate=None):
        """Add a leaf to tree ``tree_id`` whose ``values`` are added to the prediction when
        it is reached: a number (one-dimensional prediction), a list with one value per
        dimension, or a dict mapping dimension index to value."""
        node = self.tree_parameters.nodes.add()
        node.treeId = tree_id
        node.nodeId = node_id
        node.nodeBehavior = _TreeNode.LeafNode
        if relative_hit_rate is not None:
            node.relativeHitRate = relative_hit_rate
        if not isinstance(values, _Iterable):
            values = [values]
        pairs = values.items() if isinstance(values, dict) else enumerate(values)
        for index, value in pairs:
            entry = node.evaluationInfo.add()
            entry.evaluationIndex = index
            entry.evaluationValue = float(value)


class TreeEnsembleRegressor(TreeEnsembleBase):
    """Builds a ``treeEnsembleRegressor``.

    ``features``: the inputs as ``(name, datatype)`` pairs (``datatypes.Int64``,
    ``datatypes.Double`` or ``datatypes.Array``) or in any form
    ``_feature_management.process_or_validate_features`` accepts. ``target``: the name of
    the ``Double`` output, or ``[(name, datatypes.Double())]``.
    """

    def __init__(self, features, target):
        super().__init__()
        set_regressor_interface_params(self.spec, features, target)
        self.tree_spec = self.spec.treeEnsembleRegressor
        self.tree_parameters = self.tree_spec.treeEnsemble


class TreeEnsembleClassifier(TreeEnsembleBase):
    """Builds a ``treeEnsembleClassifier``.

    ``class_labels``: all ints or all strings, one per prediction dimension (or two with a
    single dimension, which then scores the second class). ``output_features``: the label
    output's name, two names (label, class scores dictionary), or ``(name, datatype)``
    pairs; the scores output defaults to ``"classProbability"``.
    """

    def __init__(self, features, class_labels, output_features):
        super().__init__()
        set_classifier_interface_params(self.spec, features, class_labels, "treeEnsembleClassifier", output_features)
        self.tree_spec = self.spec.treeEnsembleClassifier
        self.tree_parameters = self.tree_spec.treeEnsemble
