"""Tree ensembles (treeEnsembleRegressor / treeEnsembleClassifier): the real corpus models,
and models made with the ``tree_ensemble`` builder checked against a plain-Python walk of
the same trees (``reference_scores`` below, written from TreeEnsemble.proto's semantics).
"""
import math

import numpy as np
import pytest

import opencoreml as ct
from opencoreml.models import datatypes
from opencoreml.models.tree_ensemble import TreeEnsembleClassifier, TreeEnsembleRegressor
from opencoreml.proto import FeatureTypes_pb2, TreeEnsemble_pb2

from conftest import case_by_name
from corpus_runner import check_case

CORPUS_CASES = [
    "sk_decision_tree_classifier",
    "sk_gradient_boosting_classifier_binary",
    "sk_random_forest_classifier_binary",
    "sk_random_forest_regressor",
    "xgb_classifier_binary",
    "xgb_regressor",
]
BRANCH_MODES = [
    "BranchOnValueLessThanEqual",
    "BranchOnValueLessThan",
    "BranchOnValueGreaterThanEqual",
    "BranchOnValueGreaterThan",
    "BranchOnValueEqual",
    "BranchOnValueNotEqual",
]
TRANSFORMS = ["NoTransform", "Classification_SoftMax", "Regression_Logistic", "Classification_SoftMaxWithZeroClassReference"]
# The runtime and the reference both sum in double; only the order of additions may differ.
RTOL, ATOL = 1e-12, 1e-12

_LEAF = TreeEnsemble_pb2.TreeEnsembleParameters.TreeNode.LeafNode
_MODE_NAME = TreeEnsemble_pb2.TreeEnsembleParameters.TreeNode.TreeNodeBehavior.Name
_TEST = {
    "BranchOnValueLessThanEqual": lambda x, t: x <= t,
    "BranchOnValueLessThan": lambda x, t: x < t,
    "BranchOnValueGreaterThanEqual": lambda x, t: x >= t,
    "BranchOnValueGreaterThan": lambda x, t: x > t,
    "BranchOnValueEqual": lambda x, t: x == t,
    "BranchOnValueNotEqual": lambda x, t: x != t,
}


# ---------------------------------------------------------------------------------------
# Independent reference: walk the spec's nodes by id.

def reference_scores(params, row):
    """Summed leaf values plus the base value, before any transform."""
    by_id = {(n.treeId, n.nodeId): n for n in params.nodes}
    children = set()
    for n in params.nodes:
        if n.nodeBehavior != _LEAF:
            children.update({(n.treeId, n.trueChildNodeId), (n.treeId, n.falseChildNodeId)})
    roots = sorted(key for key in by_id if key not in children)
    scores = list(params.basePredictionValue) or [0.0] * params.numPredictionDimensions
    for tree_id, node_id in roots:
        node = by_id[(tree_id, node_id)]
        while node.nodeBehavior != _LEAF:
            x = row[node.branchFeatureIndex]
            if math.isnan(x):
                go_true = node.missingValueTracksTrueChild
            else:
                go_true = _TEST[_MODE_NAME(node.nodeBehavior)](x, node.branchFeatureValue)
            child = node.trueChildNodeId if go_true else node.falseChildNodeId
            node = by_id[(tree_id, child)]
        for entry in node.evaluationInfo:
            scores[entry.evaluationIndex] += entry.evaluationValue
    return scores


def reference_transform(name, scores):
    s = np.asarray(scores, dtype=np.float64)
    if name == "Regression_Logistic":
        return 1.0 / (1.0 + np.exp(-s))
    if name == "Classification_SoftMax":
        e = np.exp(s - s.max())
        return e / e.sum()
    if name == "Classification_SoftMaxWithZeroClassReference":
        # An implicit extra class with score 0 shares the denominator.
        top = max(0.0, s.max())
        e = np.exp(s - top)
        return e / (e.sum() + math.exp(-top))
    return s


def reference_classifier(spec, row, labels):
    tree_spec = spec.treeEnsembleClassifier
    name = TreeEnsemble_pb2.TreeEnsemblePostEvaluationTransform.Name(tree_spec.postEvaluationTransform)
    scores = reference_transform(name, reference_scores(tree_spec.treeEnsemble, row))
    probabilities = [1.0 - scores[0], scores[0]] if len(scores) == 1 else list(scores)
    return labels[int(np.argmax(probabilities))], dict(zip(labels, probabilities))


def assert_close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------------------
# Random trees and inputs.

# Split values and inputs share a small pool so equality tests and ties at a threshold
# actually happen.
POOL = np.array([-2.0, -1.0, -0.5, 0.0, 0.25, 1.0, 3.0])


def add_random_trees(builder, rng, n_trees, max_depth, width, modes, dims=1, stop_prob=0.2, sparse_leaves=False,
                     missing=None):
    """Random, possibly unbalanced trees with scattered node ids, added in shuffled order.
    ``missing``: every branch's missing_value_tracks_true_child, or None for random ones."""
    nodes = []
    for tree in range(n_trees):
        tree_id = int(rng.integers(0, 1000)) * 10 + tree  # unique, not in order of creation
        ids = iter(rng.permutation(10 ** 4)[: 2 ** (max_depth + 2)].tolist())

        def grow(depth):
            node_id = next(ids)
            if depth == max_depth or (depth > 0 and rng.random() < stop_prob):
                if dims == 1:
                    value = float(rng.normal())
                elif sparse_leaves:
                    keep = sorted(rng.choice(dims, size=int(rng.integers(1, dims + 1)), replace=False).tolist())
                    value = {int(k): float(rng.normal()) for k in keep}
                else:
                    value = [float(v) for v in rng.normal(size=dims)]
                nodes.append(("leaf", tree_id, node_id, value))
                return node_id
            true_child, false_child = grow(depth + 1), grow(depth + 1)
            nodes.append(("branch", tree_id, node_id, int(rng.integers(0, width)), float(rng.choice(POOL)),
                          str(rng.choice(modes)), true_child, false_child,
                          bool(rng.random() < 0.5) if missing is None else missing))
            return node_id

        grow(0)
    for i in rng.permutation(len(nodes)):
        node = nodes[i]
        if node[0] == "leaf":
            builder.add_leaf_node(node[1], node[2], node[3])
        else:
            _, tree_id, node_id, feature, value, mode, t, f, missing = node
            builder.add_branch_node(tree_id, node_id, feature, value, mode, t, f,
                                    relative_hit_rate=float(rng.random()), missing_value_tracks_true_child=missing)


def random_rows(rng, n, width, nan_fraction=0.1):
    rows = rng.choice(np.concatenate([POOL, rng.normal(size=7)]), size=(n, width))
    rows[rng.random(size=rows.shape) < nan_fraction] = np.nan
    return rows


# Inputs used by most builder tests: one array and two scalars, 5 values in all.
FEATURES = [("x", datatypes.Array(3)), ("b", datatypes.Double()), ("c", datatypes.Double())]
WIDTH = 5


def as_inputs(row):
    return {"x": np.array(row[:3], dtype=np.float64), "b": float(row[3]), "c": float(row[4])}


def regressor(rng, modes, n_trees=8, max_depth=4, dims=1, transform=None, base=None, **kw):
    builder = TreeEnsembleRegressor(FEATURES, "y")
    builder.set_default_prediction_value(base if base is not None else (0.5 if dims == 1 else [0.1 * i for i in range(dims)]))
    add_random_trees(builder, rng, n_trees, max_depth, WIDTH, modes, dims=dims, **kw)
    if transform:
        builder.set_post_evaluation_transform(transform)
    if dims > 1:
        out = builder.spec.description.output[0].type
        out.multiArrayType.shape.append(dims)
        out.multiArrayType.dataType = FeatureTypes_pb2.ArrayFeatureType.DOUBLE
    return builder


# ---------------------------------------------------------------------------------------
# Corpus.

@pytest.mark.parametrize("name", CORPUS_CASES)
def test_corpus_case(name):
    check_case(case_by_name(name))


# ---------------------------------------------------------------------------------------
# Branch modes and missing values.

@pytest.mark.parametrize("missing", [None, True, False], ids=["missing-mixed", "missing-true", "missing-false"])
@pytest.mark.parametrize("mode", BRANCH_MODES)
def test_branch_mode_matches_reference(mode, missing):
    """One mode throughout (uniform missing-value rules give the runtime's specialised walk)."""
    rng = np.random.default_rng(BRANCH_MODES.index(mode))
    builder = regressor(rng, [mode], n_trees=12, max_depth=4, missing=missing)
    model = ct.models.MLModel(builder.spec)
    params = builder.spec.treeEnsembleRegressor.treeEnsemble
    for row in random_rows(rng, 150, WIDTH):
        assert_close(model.predict(as_inputs(row))["y"], reference_scores(params, row)[0])


@pytest.mark.parametrize("mode", BRANCH_MODES)
@pytest.mark.parametrize("tracks_true", [True, False])
def test_missing_value_routing(mode, tracks_true):
    builder = TreeEnsembleRegressor([("x", datatypes.Double())], "y")
    builder.set_default_prediction_value(0.0)
    builder.add_branch_node(0, 0, 0, 1.0, mode, 1, 2, missing_value_tracks_true_child=tracks_true)
    builder.add_leaf_node(0, 1, 10.0)
    builder.add_leaf_node(0, 2, -10.0)
    model = ct.models.MLModel(builder.spec)
    assert model.predict({"x": float("nan")})["y"] == (10.0 if tracks_true else -10.0)
    # Numbers follow the comparison whatever the flag says.
    for x in (0.0, 1.0, 2.0):
        expected = 10.0 if _TEST[mode](x, 1.0) else -10.0
        assert model.predict({"x": x})["y"] == expected
        assert reference_scores(builder.spec.treeEnsembleRegressor.treeEnsemble, [x])[0] == expected


def test_nan_split_value():
    """Every number compares unequal to a NaN split value, so only "!=" holds."""
    params_by_mode = {}
    for mode in BRANCH_MODES:
        for tracks_true in (True, False):
            builder = TreeEnsembleRegressor([("x", datatypes.Double())], "y")
            builder.set_default_prediction_value(0.0)
            builder.add_branch_node(0, 0, 0, float("nan"), mode, 1, 2, missing_value_tracks_true_child=tracks_true)
            builder.add_leaf_node(0, 1, 1.0)
            builder.add_leaf_node(0, 2, 2.0)
            model = ct.models.MLModel(builder.spec)
            params_by_mode[mode] = builder.spec.treeEnsembleRegressor.treeEnsemble
            for x in (-1.0, 0.0, float("nan")):
                expected = reference_scores(params_by_mode[mode], [x])[0]
                if not math.isnan(x):
                    assert expected == (1.0 if mode == "BranchOnValueNotEqual" else 2.0)
                assert model.predict({"x": x})["y"] == expected, (mode, tracks_true, x)


def test_mixed_modes_and_deep_unbalanced_trees():
    """Several modes in one forest, and trees deep and lopsided enough to be walked with a
    leaf test rather than a fixed number of steps."""
    rng = np.random.default_rng(7)
    builder = regressor(rng, BRANCH_MODES, n_trees=6, max_depth=4)
    # Chains: every branch has a leaf on one side, 30 levels deep.
    for t in range(3):
        tree_id = 900 + t
        for level in range(30):
            builder.add_branch_node(tree_id, 2 * level, int(rng.integers(0, WIDTH)), float(rng.choice(POOL)),
                                    str(rng.choice(BRANCH_MODES)), 2 * level + 1, 2 * level + 2,
                                    missing_value_tracks_true_child=bool(level % 2))
            builder.add_leaf_node(tree_id, 2 * level + 1, float(level))
        builder.add_leaf_node(tree_id, 60, 100.0)
    model = ct.models.MLModel(builder.spec)
    params = builder.spec.treeEnsembleRegressor.treeEnsemble
    for row in random_rows(rng, 200, WIDTH):
        assert_close(model.predict(as_inputs(row))["y"], reference_scores(params, row)[0])


# ---------------------------------------------------------------------------------------
# Outputs, transforms and labels.

@pytest.mark.parametrize("sparse", [False, True])
def test_multi_output_regression(sparse):
    rng = np.random.default_rng(11)
    builder = regressor(rng, ["BranchOnValueLessThan", "BranchOnValueGreaterThanEqual"], n_trees=10, dims=3,
                        base=[1.0, -2.0, 0.5], sparse_leaves=sparse)
    model = ct.models.MLModel(builder.spec)
    params = builder.spec.treeEnsembleRegressor.treeEnsemble
    for row in random_rows(rng, 100, WIDTH):
        y = model.predict(as_inputs(row))["y"]
        assert y.shape == (3,) and y.dtype == np.float64
        assert_close(y, reference_scores(params, row))


def test_multi_output_float32_output():
    rng = np.random.default_rng(12)
    builder = regressor(rng, ["BranchOnValueLessThanEqual"], n_trees=5, dims=2)
    builder.spec.description.output[0].type.multiArrayType.dataType = FeatureTypes_pb2.ArrayFeatureType.FLOAT32
    model = ct.models.MLModel(builder.spec)
    params = builder.spec.treeEnsembleRegressor.treeEnsemble
    for row in random_rows(rng, 30, WIDTH):
        y = model.predict(as_inputs(row))["y"]
        assert y.dtype == np.float32
        np.testing.assert_allclose(y, reference_scores(params, row), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_regressor_post_transform(transform):
    rng = np.random.default_rng(TRANSFORMS.index(transform) + 20)
    builder = regressor(rng, ["BranchOnValueLessThanEqual"], n_trees=6, dims=4, transform=transform)
    model = ct.models.MLModel(builder.spec)
    params = builder.spec.treeEnsembleRegressor.treeEnsemble
    for row in random_rows(rng, 60, WIDTH):
        assert_close(model.predict(as_inputs(row))["y"], reference_transform(transform, reference_scores(params, row)))


def classifier(rng, labels, dims, transform, output_features=None, n_trees=7):
    builder = TreeEnsembleClassifier(FEATURES, labels, output_features)
    builder.set_default_prediction_value([0.0] * dims if dims > 1 else 0.1)
    add_random_trees(builder, rng, n_trees, 3, WIDTH, ["BranchOnValueLessThan", "BranchOnValueNotEqual"], dims=dims)
    builder.set_post_evaluation_transform(transform)
    return builder


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("labels", [[0, 1], [3, 1, 7], ["cat", "dog"], ["a", "b", "c", "d"]], ids=str)
def test_classifier(labels, transform):
    rng = np.random.default_rng(len(labels) * 10 + TRANSFORMS.index(transform))
    dims = 1 if len(labels) == 2 else len(labels)
    builder = classifier(rng, labels, dims, transform)
    model = ct.models.MLModel(builder.spec)
    for row in random_rows(rng, 60, WIDTH):
        out = model.predict(as_inputs(row))
        label, probabilities = reference_classifier(builder.spec, row, labels)
        assert out["classLabel"] == label and type(out["classLabel"]) is type(label)
        assert sorted(out["classProbability"]) == sorted(labels)
        assert_close([out["classProbability"][k] for k in labels], [probabilities[k] for k in labels])


def test_binary_classifier_scores_second_class():
    """One score with two labels: the score (after the transform) is P(second label)."""
    builder = TreeEnsembleClassifier([("x", datatypes.Double())], ["no", "yes"], ["decision", "scores"])
    builder.set_default_prediction_value(0.0)
    builder.add_branch_node(0, 0, 0, 0.0, "BranchOnValueGreaterThan", 1, 2)
    builder.add_leaf_node(0, 1, 2.0)
    builder.add_leaf_node(0, 2, -1.0)
    builder.set_post_evaluation_transform("Regression_Logistic")
    model = ct.models.MLModel(builder.spec)
    out = model.predict({"x": 1.0})
    p = 1.0 / (1.0 + math.exp(-2.0))
    assert out["decision"] == "yes"
    assert out["scores"]["yes"] == pytest.approx(p, rel=1e-15) and out["scores"]["no"] == pytest.approx(1 - p, rel=1e-15)
    assert model.predict({"x": -1.0})["decision"] == "no"


def test_multiarray_and_scalar_inputs_agree():
    """featureIndex counts the inputs' values in declaration order, whatever their kinds."""
    rng = np.random.default_rng(5)
    as_array = TreeEnsembleRegressor([("v", datatypes.Array(5))], "y")
    as_scalars = TreeEnsembleRegressor(
        [("a", datatypes.Double()), ("b", datatypes.Int64()), ("c", datatypes.Array(2)), ("d", datatypes.Double())], "y")
    state = rng.bit_generator.state
    for builder in (as_array, as_scalars):
        rng.bit_generator.state = state
        builder.set_default_prediction_value(0.0)
        add_random_trees(builder, rng, 10, 4, 5, BRANCH_MODES)
    array_model, scalar_model = ct.models.MLModel(as_array.spec), ct.models.MLModel(as_scalars.spec)
    params = as_array.spec.treeEnsembleRegressor.treeEnsemble
    assert params == as_scalars.spec.treeEnsembleRegressor.treeEnsemble
    for row in random_rows(rng, 100, 5, nan_fraction=0.0):
        row[1] = float(np.round(row[1]))  # the int64 input
        expected = reference_scores(params, row)[0]
        assert_close(array_model.predict({"v": row})["y"], expected)
        scalars = {"a": float(row[0]), "b": int(row[1]), "c": row[2:4].copy(), "d": float(row[4])}
        assert_close(scalar_model.predict(scalars)["y"], expected)


def test_float32_array_input():
    rng = np.random.default_rng(6)
    builder = TreeEnsembleRegressor([("v", datatypes.Array(5))], "y")
    builder.set_default_prediction_value(0.0)
    add_random_trees(builder, rng, 10, 4, 5, ["BranchOnValueLessThan"])
    builder.spec.description.input[0].type.multiArrayType.dataType = FeatureTypes_pb2.ArrayFeatureType.FLOAT32
    model = ct.models.MLModel(builder.spec)
    params = builder.spec.treeEnsembleRegressor.treeEnsemble
    for row in random_rows(rng, 50, 5).astype(np.float32):
        assert_close(model.predict({"v": row})["y"], reference_scores(params, row.astype(np.float64))[0])


# ---------------------------------------------------------------------------------------
# Batches.

def test_batch_equals_single_regressor():
    rng = np.random.default_rng(30)
    builder = regressor(rng, BRANCH_MODES, n_trees=40, max_depth=6, dims=2)
    model = ct.models.MLModel(builder.spec)
    # Large enough to be split across threads.
    batch = [as_inputs(row) for row in random_rows(rng, 3000, WIDTH)]
    outputs = model.predict(batch)
    assert len(outputs) == len(batch)
    for i in range(0, len(batch), 97):
        np.testing.assert_array_equal(outputs[i]["y"], model.predict(batch[i])["y"])
    params = builder.spec.treeEnsembleRegressor.treeEnsemble
    for i in range(0, len(batch), 301):
        row = np.concatenate([batch[i]["x"], [batch[i]["b"], batch[i]["c"]]])
        assert_close(outputs[i]["y"], reference_scores(params, row))


def test_batch_equals_single_classifier():
    rng = np.random.default_rng(31)
    builder = classifier(rng, ["p", "q", "r"], 3, "Classification_SoftMax", n_trees=30)
    model = ct.models.MLModel(builder.spec)
    batch = [as_inputs(row) for row in random_rows(rng, 500, WIDTH)]
    outputs = model.predict(batch)
    for single, batched in zip((model.predict(b) for b in batch), outputs):
        assert single == batched
    assert model.predict([]) == []


# ---------------------------------------------------------------------------------------
# Bad input and malformed models.

@pytest.fixture(scope="module")
def small_model():
    builder = regressor(np.random.default_rng(40), ["BranchOnValueLessThan"], n_trees=3)
    return ct.models.MLModel(builder.spec)


def test_wrong_input_type(small_model):
    with pytest.raises(ValueError, match="'b'"):
        small_model.predict({"x": np.zeros(3), "b": "text", "c": 1.0})
    with pytest.raises(ValueError, match="'x'"):
        small_model.predict({"x": np.zeros(4), "b": 1.0, "c": 1.0})


def test_missing_input(small_model):
    with pytest.raises((ValueError, KeyError), match="'c'"):
        small_model.predict({"x": np.zeros(3), "b": 1.0})
    with pytest.raises((ValueError, KeyError), match="'c'"):
        small_model.predict([{"x": np.zeros(3), "b": 1.0, "c": 0.0}, {"x": np.zeros(3), "b": 1.0}])


def _two_level_tree(builder, tree_id=0):
    builder.add_branch_node(tree_id, 0, 0, 0.5, "BranchOnValueLessThan", 1, 2)
    builder.add_leaf_node(tree_id, 1, 1.0)
    builder.add_branch_node(tree_id, 2, 1, 0.5, "BranchOnValueLessThan", 3, 4)
    builder.add_leaf_node(tree_id, 3, 2.0)
    builder.add_leaf_node(tree_id, 4, 3.0)


def _dangling(b):
    _two_level_tree(b)
    b.tree_parameters.nodes[2].falseChildNodeId = 9


def _add_cycle(b, tree_id, first, second, leaf_1, leaf_2):
    """Branch nodes ``first`` and ``second`` of tree ``tree_id``, each the other's true child,
    with the leaves ``leaf_1`` and ``leaf_2`` as their false children."""
    b.add_branch_node(tree_id, first, 0, 0.0, "BranchOnValueLessThan", second, leaf_1)
    b.add_branch_node(tree_id, second, 0, 0.0, "BranchOnValueLessThan", first, leaf_2)
    b.add_leaf_node(tree_id, leaf_1, 0.0)
    b.add_leaf_node(tree_id, leaf_2, 0.0)


def _cycle(b):
    _two_level_tree(b)
    # A second tree whose nodes point at each other: no root.
    _add_cycle(b, 1, 0, 1, 2, 3)


def _detached_cycle(b):
    _two_level_tree(b)
    _add_cycle(b, 0, 7, 8, 9, 10)


def _two_roots(b):
    _two_level_tree(b)
    b.add_leaf_node(0, 5, 1.0)


def _shared_child(b):
    _two_level_tree(b)
    b.tree_parameters.nodes[2].trueChildNodeId = 1


def _self_child(b):
    _two_level_tree(b)
    b.tree_parameters.nodes[2].trueChildNodeId = 2


def _bad_feature(b):
    _two_level_tree(b)
    b.tree_parameters.nodes[2].branchFeatureIndex = 2


def _duplicate(b):
    _two_level_tree(b)
    b.add_leaf_node(0, 3, 5.0)


def _leaf_dimension(b):
    _two_level_tree(b)
    b.tree_parameters.nodes[1].evaluationInfo[0].evaluationIndex = 1


def _empty_leaf(b):
    _two_level_tree(b)
    del b.tree_parameters.nodes[1].evaluationInfo[:]


def _base_count(b):
    _two_level_tree(b)
    b.tree_parameters.basePredictionValue.append(1.0)


@pytest.mark.parametrize("damage, message", [
    (_dangling, r"tree 0, node 2: false child 9 does not exist"),
    (_cycle, r"tree 1 has no root"),
    (_detached_cycle, r"tree 0, node 7: cannot be reached"),
    (_two_roots, r"tree 0 has several root nodes"),
    (_shared_child, r"tree 0, node 2: true child 1 is already a child of node 0"),
    (_self_child, r"tree 0, node 2: true child is the node itself"),
    (_bad_feature, r"tree 0, node 2: branchFeatureIndex 2 is beyond the 2 input values"),
    (_duplicate, r"tree 0, node 3: node id declared twice"),
    (_leaf_dimension, r"tree 0, node 1: leaf adds to dimension 1"),
    (_empty_leaf, r"tree 0, node 1: leaf has no evaluationInfo"),
    (_base_count, r"basePredictionValue has 2 values"),
], ids=lambda v: v.__name__.strip("_") if callable(v) else "")
def test_malformed_trees_fail_at_load(damage, message):
    builder = TreeEnsembleRegressor([("a", datatypes.Double()), ("b", datatypes.Double())], "y")
    builder.set_default_prediction_value(0.0)
    damage(builder)
    with pytest.raises(ValueError, match=message):
        ct.models.MLModel(builder.spec)


def test_label_count_must_match_dimensions():
    builder = TreeEnsembleClassifier([("a", datatypes.Double())], ["x", "y", "z"], "label")
    builder.set_default_prediction_value([0.0, 0.0])
    builder.add_leaf_node(0, 0, [1.0, 0.0])
    with pytest.raises(ValueError, match="3 class labels but 2 prediction dimensions"):
        ct.models.MLModel(builder.spec)


# ---------------------------------------------------------------------------------------
# The builder's spec, and a round trip through a file.

def test_builder_spec_fields(tmp_path):
    builder = TreeEnsembleClassifier([("a", datatypes.Array(3)), ("b", datatypes.Double())], [5, 6], "cls")
    assert builder.spec.specificationVersion == ct.SPECIFICATION_VERSION
    builder.add_branch_node(0, 0, 3, 2, "BranchOnValueEqual", 1, 2, relative_hit_rate=0.25,
                            missing_value_tracks_true_child=True)
    builder.add_leaf_node(0, 1, -1)
    builder.add_leaf_node(0, 2, {0: 1.5}, relative_hit_rate=3)
    builder.set_default_prediction_value(0.25)
    builder.set_post_evaluation_transform("Regression_Logistic")
    spec = builder.spec
    params = spec.treeEnsembleClassifier.treeEnsemble
    assert list(spec.treeEnsembleClassifier.int64ClassLabels.vector) == [5, 6]
    assert spec.description.predictedFeatureName == "cls"
    assert spec.description.predictedProbabilitiesName == "classProbability"
    assert params.numPredictionDimensions == 1 and list(params.basePredictionValue) == [0.25]
    branch, leaf1, leaf2 = params.nodes
    assert (branch.branchFeatureIndex, branch.branchFeatureValue, branch.trueChildNodeId, branch.falseChildNodeId) == (3, 2, 1, 2)
    assert branch.nodeBehavior == TreeEnsemble_pb2.TreeEnsembleParameters.TreeNode.BranchOnValueEqual
    assert branch.missingValueTracksTrueChild and branch.relativeHitRate == 0.25
    assert [(e.evaluationIndex, e.evaluationValue) for e in leaf1.evaluationInfo] == [(0, -1.0)]
    assert leaf2.relativeHitRate == 3 and leaf2.evaluationInfo[0].evaluationValue == 1.5
    assert spec.treeEnsembleClassifier.postEvaluationTransform == TreeEnsemble_pb2.Regression_Logistic

    path = str(tmp_path / "tree.mlmodel")
    ct.models.utils.save_spec(spec, path)
    model = ct.models.MLModel(path)
    for b in (2.0, 0.0, float("nan")):
        out = model.predict({"a": np.array([0.0, 1.0, 2.0]), "b": b})
        label, probabilities = reference_classifier(spec, [0.0, 1.0, 2.0, b], [5, 6])
        assert out["cls"] == label
        assert_close([out["classProbability"][k] for k in (5, 6)], [probabilities[5], probabilities[6]])
