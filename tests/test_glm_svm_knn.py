"""GLMs, SVMs and k-nearest-neighbours: the real corpus models, then specs built here for
every link, encoding, kernel, support-vector storage, weighting and index — each checked
against an independent numpy evaluation written in this file — and bad inputs.

Spec-built models compute in double, so their numbers must match the float64 references to
rtol 1e-9 (atol 1e-12); labels match exactly.
"""
import math

import numpy as np
import pytest

import opencoreml as ct
from opencoreml.models.nearest_neighbors import KNearestNeighborsClassifierBuilder
from opencoreml.proto import FeatureTypes_pb2, Model_pb2

from conftest import case_by_name
from corpus_runner import check_case

RTOL, ATOL = 1e-9, 1e-12
DOUBLE = FeatureTypes_pb2.ArrayFeatureType.DOUBLE


# --- corpus ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name",
    [
        "sk_linear_regression",
        "sk_linear_svr",
        "sk_logistic_regression_binary",
        "sk_nusvr_linear",
        "sk_svc_rbf_probability",
        "sk_kneighbors_classifier",
    ],
)
def test_corpus_case(name):
    check_case(case_by_name(name))


def test_corpus_svc_label_is_most_probable_class():
    # The case's note: a probability SVM labels by its most probable class (libsvm's
    # svm_predict_probability), which the expected labels follow.
    case = case_by_name("sk_svc_rbf_probability")
    inputs = np.load(case.folder + "/inputs.npz")
    expected = np.load(case.folder + "/expected.npz")
    model = ct.models.MLModel(case.model_path)
    for run in case.info["runs"]:
        out = model.predict({"input": inputs[run["inputs"]["input"]]})
        probs = out["classProbability"]
        assert out["classLabel"] == max(probs, key=probs.get)
        assert out["classLabel"] == int(expected[run["expected"]["classLabel"]])


# --- spec helpers ---------------------------------------------------------------------------

def add_array_input(spec, name, n):
    f = spec.description.input.add()
    f.name = name
    f.type.multiArrayType.dataType = DOUBLE
    f.type.multiArrayType.shape.append(n)


def add_scalar_input(spec, name, kind):
    f = spec.description.input.add()
    f.name = name
    getattr(f.type, kind).SetInParent()


def add_regressor_output(spec, name="prediction", targets=None):
    f = spec.description.output.add()
    f.name = name
    if targets is None:
        f.type.doubleType.SetInParent()
    else:
        f.type.multiArrayType.dataType = DOUBLE
        f.type.multiArrayType.shape.append(targets)
    spec.description.predictedFeatureName = name


def add_classifier_outputs(model_params, spec, labels, with_probabilities=True):
    """Class labels on the model's parameters plus classLabel/classProbability outputs."""
    string_labels = isinstance(labels[0], str)
    if string_labels:
        model_params.stringClassLabels.vector.extend(labels)
    else:
        model_params.int64ClassLabels.vector.extend(labels)
    out = spec.description.output.add()
    out.name = "classLabel"
    (out.type.stringType if string_labels else out.type.int64Type).SetInParent()
    spec.description.predictedFeatureName = "classLabel"
    if with_probabilities:
        probs = spec.description.output.add()
        probs.name = "classProbability"
        keys = probs.type.dictionaryType
        (keys.stringKeyType if string_labels else keys.int64KeyType).SetInParent()
        spec.description.predictedProbabilitiesName = "classProbability"


def new_spec():
    spec = Model_pb2.Model()
    spec.specificationVersion = 1
    return spec


def probabilities_in_order(out, labels):
    return np.array([out["classProbability"][label] for label in labels])


# --- GLM references -------------------------------------------------------------------------

def ref_logistic(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def ref_probit(z):
    return np.array([0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in np.atleast_1d(z)])


REF_LINKS = {"NoTransform": lambda z: np.asarray(z), "Logit": ref_logistic, "Probit": ref_probit}


def glm_regressor_spec(weights, offsets, transform, targets_as_array):
    spec = new_spec()
    # Three kinds of numeric inputs: the row is a, b[0..2], c in declaration order.
    add_scalar_input(spec, "a", "doubleType")
    add_array_input(spec, "b", 3)
    add_scalar_input(spec, "c", "int64Type")
    add_regressor_output(spec, targets=len(weights) if targets_as_array else None)
    glm = spec.glmRegressor
    for row in weights:
        glm.weights.add().value.extend(row)
    glm.offset.extend(offsets)
    glm.postEvaluationTransform = getattr(Model_pb2.GLMRegressor, transform)
    return spec


def check_glm_regressor(transform, seed, targets, targets_as_array):
    """Ten random rows through a GLM regressor of ``targets`` targets: a double (one target,
    scalar output) or a float64 array of ``targets`` values."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(targets, 5))
    b = rng.normal(size=targets)
    model = ct.models.MLModel(glm_regressor_spec(w, b, transform, targets_as_array=targets_as_array))
    for _ in range(10):
        a, arr, c = float(rng.normal()), rng.normal(size=3), int(rng.integers(-3, 4))
        row = np.concatenate([[a], arr, [c]])
        expected = REF_LINKS[transform](w @ row + b)
        out = model.predict({"a": a, "b": arr, "c": c})["prediction"]
        if targets_as_array:
            assert out.shape == (targets,) and out.dtype == np.float64
        else:
            assert isinstance(out, float)
            expected = expected[0]
        np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("transform", ["NoTransform", "Logit", "Probit"])
def test_glm_regressor_single_target(transform):
    check_glm_regressor(transform, seed=1, targets=1, targets_as_array=False)


@pytest.mark.parametrize("transform", ["NoTransform", "Logit", "Probit"])
def test_glm_regressor_multi_target(transform):
    check_glm_regressor(transform, seed=2, targets=3, targets_as_array=True)


def test_glm_regressor_multi_target_needs_array_output():
    spec = glm_regressor_spec(np.ones((2, 5)), [0.0, 0.0], "NoTransform", targets_as_array=False)
    with pytest.raises(ValueError, match="2 values.*'prediction'"):
        ct.models.MLModel(spec)


def glm_classifier_spec(weights, offsets, labels, transform, encoding, n_inputs):
    spec = new_spec()
    add_array_input(spec, "x", n_inputs)
    glm = spec.glmClassifier
    for row in weights:
        glm.weights.add().value.extend(row)
    glm.offset.extend(offsets)
    glm.postEvaluationTransform = getattr(Model_pb2.GLMClassifier, transform)
    glm.classEncoding = getattr(Model_pb2.GLMClassifier, encoding)
    add_classifier_outputs(glm, spec, labels)
    return spec


def ref_glm_classifier(z, transform, encoding):
    """Class probabilities written from the definitions (not the runtime's formulas)."""
    if len(z) == 1:
        p1 = (ref_probit if transform == "Probit" else ref_logistic)(z)[0]
        return np.array([1.0 - p1, p1])
    if encoding == "ReferenceClass":
        e = np.exp(np.concatenate([[0.0], z]))
        return e / e.sum()
    p = ref_logistic(z)
    return p / p.sum()


GLM_CLASSIFIER_CASES = [
    # (labels, transform, encoding)
    ([0, 1], "Logit", "ReferenceClass"),
    (["no", "yes"], "Logit", "OneVsRest"),
    ([3, 7], "Probit", "ReferenceClass"),
    (["neg", "pos"], "Probit", "OneVsRest"),
    (["a", "b", "c"], "Logit", "OneVsRest"),
    ([10, 20, 30, 40], "Logit", "OneVsRest"),
    (["a", "b", "c"], "Logit", "ReferenceClass"),
    ([5, 6, 7, 8], "Logit", "ReferenceClass"),
]


@pytest.mark.parametrize("labels,transform,encoding", GLM_CLASSIFIER_CASES)
def test_glm_classifier(labels, transform, encoding):
    rng = np.random.default_rng(len(labels) * 7 + len(transform))
    k = len(labels)
    rows = k - 1 if (encoding == "ReferenceClass" or k == 2) else k
    w = rng.normal(size=(rows, 4))
    b = rng.normal(size=rows)
    model = ct.models.MLModel(glm_classifier_spec(w, b, labels, transform, encoding, 4))
    for _ in range(12):
        x = rng.normal(size=4) * 2
        expected = ref_glm_classifier(w @ x + b, transform, encoding)
        out = model.predict({"x": x})
        np.testing.assert_allclose(probabilities_in_order(out, labels), expected, rtol=RTOL, atol=ATOL)
        assert out["classLabel"] == labels[int(np.argmax(expected))]


def test_glm_classifier_one_vs_rest_extreme_scores_stay_normalised():
    # Every class's logistic underflows to 0 in double; the shares must still sum to 1.
    w = np.zeros((3, 2))
    b = np.array([-800.0, -801.0, -802.0])
    model = ct.models.MLModel(glm_classifier_spec(w, b, [0, 1, 2], "Logit", "OneVsRest", 2))
    probs = probabilities_in_order(model.predict({"x": np.zeros(2)}), [0, 1, 2])
    e = np.exp([0.0, -1.0, -2.0])
    np.testing.assert_allclose(probs, e / e.sum(), rtol=RTOL)


def test_glm_classifier_probit_needs_two_classes():
    spec = glm_classifier_spec(np.ones((3, 2)), [0.0] * 3, [0, 1, 2], "Probit", "OneVsRest", 2)
    with pytest.raises(ValueError, match="Probit"):
        ct.models.MLModel(spec)


def test_glm_classifier_weight_rows_must_match_encoding():
    spec = glm_classifier_spec(np.ones((3, 2)), [0.0] * 3, [0, 1, 2], "Logit", "ReferenceClass", 2)
    with pytest.raises(ValueError, match="ReferenceClass encoding need 2 weight rows"):
        ct.models.MLModel(spec)


# --- SVM references -------------------------------------------------------------------------

KERNELS = {
    "linear": {},
    "rbf": {"gamma": 0.35},
    "poly": {"gamma": 0.3, "c": 0.5, "degree": 3},
    "sigmoid": {"gamma": 0.1, "c": -0.2},
}


def ref_kernel(kind, x, sv):
    p = KERNELS[kind]
    if kind == "linear":
        return float(x @ sv)
    if kind == "rbf":
        return math.exp(-p["gamma"] * float(np.sum((x - sv) ** 2)))
    if kind == "poly":
        return (p["gamma"] * float(x @ sv) + p["c"]) ** p["degree"]
    return math.tanh(p["gamma"] * float(x @ sv) + p["c"])


def set_kernel(svm, kind):
    p = KERNELS[kind]
    if kind == "linear":
        svm.kernel.linearKernel.SetInParent()
    elif kind == "rbf":
        svm.kernel.rbfKernel.gamma = p["gamma"]
    elif kind == "poly":
        svm.kernel.polyKernel.gamma = p["gamma"]
        svm.kernel.polyKernel.c = p["c"]
        svm.kernel.polyKernel.degree = p["degree"]
    else:
        svm.kernel.sigmoidKernel.gamma = p["gamma"]
        svm.kernel.sigmoidKernel.c = p["c"]


def sparse_vectors(rng, count, width):
    """Random vectors with about half their values zero (so sparse storage omits them)."""
    vs = rng.normal(size=(count, width))
    vs[rng.random(size=vs.shape) < 0.5] = 0.0
    return vs


def set_support_vectors(svm, vectors, sparse, rng):
    if not sparse:
        for v in vectors:
            svm.denseSupportVectors.vectors.add().values.extend(v)
        return
    for v in vectors:
        target = svm.sparseSupportVectors.vectors.add()
        nonzero = np.flatnonzero(v)
        # Node order in the file should not matter.
        for i in rng.permutation(nonzero):
            node = target.nodes.add()
            node.index = int(i) + 1
            node.value = float(v[i])


def ref_pairwise_coupling(r):
    """libsvm's pairwise coupling (Wu, Lin & Weng 2004, method 2) written plainly in numpy:
    Q = diag(sum_{j != t} r_jt^2) - (r * r.T) off the diagonal; Gauss-Seidel sweeps that
    equalise (Qp)_t with p'Qp until within 0.005 / k."""
    k = r.shape[0]
    q = -(r.T * r)
    np.fill_diagonal(q, 0.0)
    np.fill_diagonal(q, [sum(r[j, t] ** 2 for j in range(k) if j != t) for t in range(k)])
    p = np.full(k, 1.0 / k)
    for _ in range(max(100, k)):
        qp = q @ p
        pqp = p @ qp
        if np.max(np.abs(qp - pqp)) < 0.005 / k:
            break
        for t in range(k):
            diff = (pqp - qp[t]) / q[t, t]
            p[t] += diff
            pqp = (pqp + diff * (diff * q[t, t] + 2 * qp[t])) / (1 + diff) / (1 + diff)
            qp = (qp + diff * q[t]) / (1 + diff)
            p = p / (1 + diff)
    return p


def exact_pairwise_coupling(r):
    """The same problem solved exactly (min p'Qp with sum(p) = 1, via its KKT system)."""
    k = r.shape[0]
    q = -(r.T * r)
    np.fill_diagonal(q, [sum(r[j, t] ** 2 for j in range(k) if j != t) for t in range(k)])
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = 2 * q
    kkt[:k, k] = kkt[k, :k] = 1.0
    return np.linalg.solve(kkt, np.concatenate([np.zeros(k), [1.0]]))[:k]


def ref_svc_pairs(x, kind, vectors, per_class, coef, rho, prob_a, prob_b):
    """Votes and the Platt pairwise probabilities r[i, j] = P(i | i or j) of a one-vs-one
    SVM in libsvm's layout (r is zero without probA/probB)."""
    k = len(per_class)
    kv = np.array([ref_kernel(kind, x, sv) for sv in vectors])
    start = np.concatenate([[0], np.cumsum(per_class)])
    votes = np.zeros(k)
    r = np.zeros((k, k))
    p = 0
    for i in range(k):
        for j in range(i + 1, k):
            si, sj = slice(start[i], start[i + 1]), slice(start[j], start[j + 1])
            dec = coef[j - 1][si] @ kv[si] + coef[i][sj] @ kv[sj] - rho[p]
            votes[i if dec > 0 else j] += 1
            if prob_a is not None:
                # 1 / (1 + e^t) written with tanh, which cannot overflow
                pr = 0.5 * (1.0 - math.tanh(0.5 * (dec * prob_a[p] + prob_b[p])))
                r[i, j] = min(max(pr, 1e-7), 1 - 1e-7)
                r[j, i] = 1 - r[i, j]
            p += 1
    return votes, r


def ref_svc(x, params):
    """Index of the predicted label and the probabilities (None without probA/probB)."""
    votes, r = ref_svc_pairs(x, *params)
    if params[-1] is None:
        return int(np.argmax(votes)), None
    probs = np.array([r[0, 1], r[1, 0]]) if len(votes) == 2 else ref_pairwise_coupling(r)
    return int(np.argmax(probs)), probs


def svc_spec(kind, labels, per_class, width, sparse, with_probabilities, seed):
    """A random but sensible one-vs-one SVM: each class's support vectors lie around their
    own centre, and in the sub-problem of classes i < j class i's coefficients are positive
    and class j's negative (libsvm's signs), so every class wins somewhere."""
    rng = np.random.default_rng(seed)
    k = len(labels)
    total = sum(per_class)
    class_of = np.repeat(np.arange(k), per_class)
    centres = rng.normal(size=(k, width)) * 1.5
    vectors = centres[class_of] + rng.normal(size=(total, width)) * 0.5
    if sparse:
        vectors[rng.random(size=vectors.shape) < 0.4] = 0.0
    rows = np.arange(k - 1)[:, None]
    coef = np.where(rows >= class_of[None, :], 1.0, -1.0) * rng.uniform(0.2, 1.5, size=(k - 1, total))
    pairs = k * (k - 1) // 2
    rho = rng.normal(size=pairs) * 0.1
    prob_a = -rng.uniform(0.5, 3.0, size=pairs) if with_probabilities else None
    prob_b = rng.normal(size=pairs) * 0.2 if with_probabilities else None

    spec = new_spec()
    add_array_input(spec, "x", width)
    svm = spec.supportVectorClassifier
    set_kernel(svm, kind)
    set_support_vectors(svm, vectors, sparse, rng)
    svm.numberOfSupportVectorsPerClass.extend(per_class)
    for row in coef:
        svm.coefficients.add().alpha.extend(row)
    svm.rho.extend(rho)
    if with_probabilities:
        svm.probA.extend(prob_a)
        svm.probB.extend(prob_b)
    add_classifier_outputs(svm, spec, labels, with_probabilities)
    return spec, (kind, vectors, per_class, coef, rho, prob_a, prob_b)


SVC_CASES = [
    # (labels, vectors per class)
    ([0, 1], [4, 3]),
    (["cat", "dog", "fish"], [3, 5, 4]),
    ([-1, 90, 12341, 7], [2, 3, 1, 4]),
]


@pytest.mark.parametrize("kind", sorted(KERNELS))
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("with_probabilities", [False, True], ids=["votes", "probabilities"])
@pytest.mark.parametrize("labels,per_class", SVC_CASES, ids=["binary", "3class_str", "4class_int"])
def test_svc(kind, sparse, with_probabilities, labels, per_class):
    seed = len(labels) * 100 + sorted(KERNELS).index(kind) * 10 + sparse * 2 + with_probabilities
    spec, params = svc_spec(kind, labels, per_class, 5, sparse, with_probabilities, seed)
    model = ct.models.MLModel(spec)
    rng = np.random.default_rng(seed + 1)
    vectors = params[1]
    seen = set()
    for _ in range(20):
        x = vectors[rng.integers(len(vectors))] + rng.normal(size=5) * 0.4
        best, probs = ref_svc(x, params)
        seen.add(best)
        out = model.predict({"x": x})
        assert out["classLabel"] == labels[best]
        if with_probabilities:
            np.testing.assert_allclose(probabilities_in_order(out, labels), probs, rtol=RTOL, atol=ATOL)
            if len(labels) > 2:
                # The reference iteration stops near, not at, the coupling problem's optimum.
                exact = exact_pairwise_coupling(ref_svc_pairs(x, *params)[1])
                np.testing.assert_allclose(probs, exact, atol=5e-3)
        else:
            assert "classProbability" not in out
    assert len(seen) > 1  # the queries exercise more than one outcome


def test_svc_dense_and_sparse_storage_agree():
    dense, _ = svc_spec("rbf", [1, 2, 3], [3, 3, 3], 6, sparse=False, with_probabilities=True, seed=5)
    # Rewrite the same vectors sparsely.
    sparse = Model_pb2.Model()
    sparse.CopyFrom(dense)
    svm = sparse.supportVectorClassifier
    svm.ClearField("denseSupportVectors")
    for v in dense.supportVectorClassifier.denseSupportVectors.vectors:
        target = svm.sparseSupportVectors.vectors.add()
        for i, value in enumerate(v.values):
            if value != 0.0:
                node = target.nodes.add()
                node.index, node.value = i + 1, value
    a, b = ct.models.MLModel(dense), ct.models.MLModel(sparse)
    rng = np.random.default_rng(6)
    for _ in range(10):
        x = rng.normal(size=6)
        oa, ob = a.predict({"x": x}), b.predict({"x": x})
        assert oa["classLabel"] == ob["classLabel"]
        np.testing.assert_allclose(probabilities_in_order(oa, [1, 2, 3]), probabilities_in_order(ob, [1, 2, 3]),
                                   rtol=RTOL, atol=ATOL)


def test_svc_probability_output_needs_prob_a_b():
    spec, _ = svc_spec("linear", [0, 1, 2], [2, 2, 2], 3, sparse=False, with_probabilities=False, seed=9)
    probs = spec.description.output.add()
    probs.name = "classProbability"
    probs.type.dictionaryType.int64KeyType.SetInParent()
    spec.description.predictedProbabilitiesName = "classProbability"
    with pytest.raises(ValueError, match="probA/probB"):
        ct.models.MLModel(spec)


def svr_spec(kind, width, count, sparse, seed, input_width=None):
    rng = np.random.default_rng(seed)
    vectors = sparse_vectors(rng, count, width) if sparse else rng.normal(size=(count, width))
    alpha = rng.normal(size=count)
    rho = float(rng.normal())
    spec = new_spec()
    add_array_input(spec, "x", input_width or width)
    add_regressor_output(spec)
    svm = spec.supportVectorRegressor
    set_kernel(svm, kind)
    set_support_vectors(svm, vectors, sparse, rng)
    svm.coefficients.alpha.extend(alpha)
    svm.rho = rho
    return spec, vectors, alpha, rho


@pytest.mark.parametrize("kind", sorted(KERNELS))
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_svr(kind, sparse):
    seed = sorted(KERNELS).index(kind) * 2 + sparse
    spec, vectors, alpha, rho = svr_spec(kind, 4, 9, sparse, seed)
    model = ct.models.MLModel(spec)
    rng = np.random.default_rng(seed + 50)
    for _ in range(10):
        x = rng.normal(size=4)
        expected = sum(a * ref_kernel(kind, x, sv) for a, sv in zip(alpha, vectors)) - rho
        np.testing.assert_allclose(model.predict({"x": x})["prediction"], expected, rtol=RTOL, atol=ATOL)


def test_sparse_svr_input_longer_than_vectors():
    # libsvm semantics: a sparse vector is zero past its last index, so extra input values
    # only enter the RBF distance.
    spec, vectors, alpha, rho = svr_spec("rbf", 3, 5, sparse=True, seed=11, input_width=6)
    model = ct.models.MLModel(spec)
    padded = np.hstack([vectors, np.zeros((5, 3))])
    x = np.random.default_rng(12).normal(size=6)
    expected = sum(a * ref_kernel("rbf", x, sv) for a, sv in zip(alpha, padded)) - rho
    np.testing.assert_allclose(model.predict({"x": x})["prediction"], expected, rtol=RTOL, atol=ATOL)


# --- k-NN -----------------------------------------------------------------------------------

def knn_model(points, labels, k, weighting, index_type, leaf_size=8, default_label=None):
    default_label = default_label if default_label is not None else ("none" if isinstance(labels[0], str) else -1)
    builder = KNearestNeighborsClassifierBuilder(
        input_name="x",
        output_name="label",
        number_of_dimensions=points.shape[1],
        default_class_label=default_label,
        number_of_neighbors=k,
        weighting_scheme=weighting,
        index_type=index_type,
        leaf_size=leaf_size,
    )
    builder.add_samples(points, labels)
    return ct.models.MLModel(builder.spec)


def ref_knn(points, labels, query, k, weighting):
    """Label and {label: probability} from a plain sort: neighbours by (distance, sample
    number), votes equal or 1 / squared distance (exact matches take the whole vote), ties
    between classes to the smallest label."""
    stored = points.astype(np.float32).astype(np.float64)
    d = np.sum((stored - query) ** 2, axis=1)
    order = sorted(range(len(d)), key=lambda i: (d[i], i))[:k]
    votes = {label: 0.0 for label in labels}
    exact = weighting == "inverse_distance" and d[order[0]] == 0.0
    for i in order:
        if exact:
            w = 1.0 if d[i] == 0.0 else 0.0
        else:
            w = 1.0 / d[i] if weighting == "inverse_distance" else 1.0
        votes[labels[i]] += w
    total = sum(votes.values())
    probs = {label: v / total for label, v in votes.items()}
    best = max(probs.values())
    return min(label for label, p in probs.items() if p == best), probs


def check_knn_against_reference(model, points, labels, queries, k, weighting):
    for q in queries:
        label, probs = ref_knn(points, labels, q.astype(np.float32).astype(np.float64), k, weighting)
        out = model.predict({"x": q.astype(np.float32)})
        assert out["label"] == label
        assert set(out["labelProbs"]) == set(probs)
        for key, p in probs.items():
            np.testing.assert_allclose(out["labelProbs"][key], p, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("weighting", ["uniform", "inverse_distance"])
@pytest.mark.parametrize("index_type", ["linear", "kd_tree"])
@pytest.mark.parametrize("string_labels", [False, True], ids=["int64", "string"])
def test_knn_against_reference(weighting, index_type, string_labels):
    rng = np.random.default_rng(21)
    points = rng.normal(size=(300, 3))
    classes = ["red", "green", "blue", "cyan"] if string_labels else [4, -2, 9, 0]
    labels = [classes[int(i)] for i in rng.integers(0, 4, size=300)]
    model = knn_model(points, labels, 7, weighting, index_type)
    check_knn_against_reference(model, points, labels, rng.normal(size=(40, 3)), 7, weighting)


@pytest.mark.parametrize("weighting", ["uniform", "inverse_distance"])
def test_knn_kd_tree_matches_linear_index(weighting):
    # Points on a coarse integer grid, with duplicates, so many distances tie: both indexes
    # must still return the same neighbours (ties go to the lower sample number).
    rng = np.random.default_rng(33)
    points = rng.integers(0, 4, size=(2000, 4)).astype(np.float64)
    labels = [int(v) for v in rng.integers(0, 5, size=2000)]
    queries = np.vstack([rng.integers(0, 4, size=(60, 4)), rng.normal(1.5, 1.5, size=(60, 4))])
    linear = knn_model(points, labels, 10, weighting, "linear")
    for leaf_size in (1, 5, 40):
        tree = knn_model(points, labels, 10, weighting, "kd_tree", leaf_size=leaf_size)
        for q in queries.astype(np.float32):
            assert linear.predict({"x": q}) == tree.predict({"x": q})
    check_knn_against_reference(linear, points, labels, queries[:20], 10, weighting)


def test_knn_kd_tree_matches_linear_index_random_data():
    rng = np.random.default_rng(34)
    points = rng.normal(size=(3000, 6)) * rng.uniform(0.1, 10, size=6)
    labels = [str(v) for v in rng.integers(0, 6, size=3000)]
    linear = knn_model(points, labels, 5, "inverse_distance", "linear")
    tree = knn_model(points, labels, 5, "inverse_distance", "kd_tree", leaf_size=16)
    for q in (rng.normal(size=(100, 6)) * 5).astype(np.float32):
        assert linear.predict({"x": q}) == tree.predict({"x": q})


def test_knn_more_neighbours_than_samples_uses_all():
    points = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]])
    model = knn_model(points, [1, 1, 2], 10, "uniform", "kd_tree")
    out = model.predict({"x": np.array([4.0, 4.0], dtype=np.float32)})
    assert out["label"] == 1
    np.testing.assert_allclose([out["labelProbs"][1], out["labelProbs"][2]], [2 / 3, 1 / 3], rtol=RTOL)


def test_knn_inverse_distance_exact_match_wins():
    points = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [3.0, 3.0]])
    model = knn_model(points, ["near", "near", "near", "far"], 4, "inverse_distance", "linear")
    out = model.predict({"x": np.array([3.0, 3.0], dtype=np.float32)})
    assert out["label"] == "far"
    assert out["labelProbs"] == {"near": 0.0, "far": 1.0}


@pytest.mark.parametrize("default_label", ["nothing", 42])
def test_knn_without_samples_gives_default_label(default_label):
    builder = KNearestNeighborsClassifierBuilder("x", "label", 3, default_label)
    out = ct.models.MLModel(builder.spec).predict({"x": np.zeros(3, dtype=np.float32)})
    assert out["label"] == default_label
    assert out["labelProbs"] == {}


def test_knn_number_of_neighbours_outside_allowed_values_fails_at_load():
    builder = KNearestNeighborsClassifierBuilder("x", "label", 2, 0)
    builder.add_samples([[0.0, 0.0], [1.0, 1.0]], [0, 1])
    builder.spec.kNearestNeighborsClassifier.numberOfNeighbors.defaultValue = 4
    builder.spec.kNearestNeighborsClassifier.numberOfNeighbors.set.values.extend([1, 3])
    with pytest.raises(ValueError, match="numberOfNeighbors"):
        ct.models.MLModel(builder.spec)


# --- k-NN builder API -----------------------------------------------------------------------

def test_builder_interface_and_defaults():
    b = KNearestNeighborsClassifierBuilder("input", "output", 4, "default_label")
    spec = b.spec
    assert spec.specificationVersion == ct._MINIMUM_NEAREST_NEIGHBORS_SPEC_VERSION
    assert b.is_updatable and spec.isUpdatable
    assert [f.name for f in spec.description.input] == ["input"]
    assert list(spec.description.input[0].type.multiArrayType.shape) == [4]
    assert spec.description.input[0].type.multiArrayType.dataType == FeatureTypes_pb2.ArrayFeatureType.FLOAT32
    assert [f.name for f in spec.description.output] == ["output", "outputProbs"]
    assert spec.description.output[0].type.WhichOneof("Type") == "stringType"
    assert [f.name for f in spec.description.trainingInput] == ["input", "output"]
    assert spec.description.predictedFeatureName == "output"
    assert spec.description.predictedProbabilitiesName == "outputProbs"
    assert spec.kNearestNeighborsClassifier.defaultStringLabel == "default_label"
    assert b.number_of_neighbors == 5 and b.number_of_neighbors_allowed_range() == (1, 1000)
    assert b.number_of_neighbors_allowed_set() is None
    assert b.weighting_scheme == "uniform" and b.index_type == "linear" and b.leaf_size == 0
    assert b.number_of_dimensions == 4
    assert spec.kNearestNeighborsClassifier.nearestNeighborsIndex.HasField("squaredEuclideanDistance")

    d = KNearestNeighborsClassifierBuilder("input", "output", 2, 12, input_type=ct.models.datatypes.Double)
    assert d.spec.description.input[0].type.multiArrayType.dataType == DOUBLE
    assert d.spec.description.output[1].type.dictionaryType.WhichOneof("KeyType") == "int64KeyType"
    assert d.spec.kNearestNeighborsClassifier.defaultInt64Label == 12
    with pytest.raises(TypeError):
        KNearestNeighborsClassifierBuilder("input", "output", 2, 21.5)
    with pytest.raises(ValueError):
        KNearestNeighborsClassifierBuilder("input", "output", 0, "x")


def test_builder_metadata_and_options():
    b = KNearestNeighborsClassifierBuilder("input", "output", 4, "d")
    b.author, b.license, b.description = "Jane", "MIT", "a k-NN"
    assert (b.author, b.license, b.description) == ("Jane", "MIT", "a k-NN")
    md = b.spec.description.metadata
    assert (md.author, md.license, md.shortDescription) == ("Jane", "MIT", "a k-NN")
    b.is_updatable = False
    assert not b.spec.isUpdatable

    b.weighting_scheme = "InVerSE_DISTance"
    assert b.weighting_scheme == "inverse_distance"
    assert b.spec.kNearestNeighborsClassifier.HasField("inverseDistanceWeighting")
    b.weighting_scheme = "unIfOrM"
    assert b.weighting_scheme == "uniform"
    with pytest.raises(TypeError):
        b.weighting_scheme = "gaussian"

    b.set_index_type("KD_TrEe", leaf_size=22)
    assert (b.index_type, b.leaf_size) == ("kd_tree", 22)
    b.leaf_size = 12
    assert (b.index_type, b.leaf_size) == ("kd_tree", 12)
    b.set_index_type("linear", leaf_size=37)
    assert (b.index_type, b.leaf_size) == ("linear", 0)
    b.set_index_type("kd_tree")
    assert b.leaf_size == 30
    for bad in ("ball_tree",):
        with pytest.raises(TypeError):
            b.set_index_type(bad)
    with pytest.raises(TypeError):
        b.set_index_type("kd_tree", 0)
    with pytest.raises(ValueError):
        b.leaf_size = -1

    built = KNearestNeighborsClassifierBuilder(
        "input", "output", 10, "d", number_of_neighbors=3, weighting_scheme="inverse_distance",
        index_type="kd_tree", leaf_size=50, k=3)  # unknown keywords are ignored, as in coremltools
    assert (built.number_of_neighbors, built.weighting_scheme, built.index_type, built.leaf_size) == (
        3, "inverse_distance", "kd_tree", 50)


def test_builder_number_of_neighbours_bounds():
    b = KNearestNeighborsClassifierBuilder("input", "output", 4, 0)
    b.set_number_of_neighbors_with_bounds(12, allowed_range=(2, 24))
    assert b.number_of_neighbors == 12 and b.number_of_neighbors_allowed_range() == (2, 24)
    assert b.number_of_neighbors_allowed_set() is None
    b.set_number_of_neighbors_with_bounds(7, allowed_set={3, 5, 7, 9})
    assert b.number_of_neighbors == 7 and b.number_of_neighbors_allowed_set() == {3, 5, 7, 9}
    assert b.number_of_neighbors_allowed_range() is None
    b.set_number_of_neighbors_with_bounds(5, allowed_set={5, 6})
    assert b.number_of_neighbors_allowed_set() == {5, 6}  # replaced, not merged

    for kwargs, error in [
        (dict(number_of_neighbors=3), ValueError),
        (dict(number_of_neighbors=3, allowed_range=(3, 15), allowed_set={1, 3}), ValueError),
        (dict(number_of_neighbors=3, allowed_range=(-5, 5)), ValueError),
        (dict(number_of_neighbors=3, allowed_range=(5, 1)), ValueError),
        (dict(number_of_neighbors=2, allowed_range=(3, 15)), ValueError),
        (dict(number_of_neighbors=5, allowed_set={5, -3, 7}), TypeError),
        (dict(number_of_neighbors=4, allowed_set={1, 3, 5}), ValueError),
        (dict(number_of_neighbors=2, allowed_set=[1, 2, 3]), TypeError),
        (dict(number_of_neighbors=4, allowed_range={2, 200}), TypeError),
        (dict(number_of_neighbors=4, allowed_range=(2, 10, 20)), TypeError),
        (dict(number_of_neighbors=4, allowed_set=set()), TypeError),
        (dict(number_of_neighbors=0, allowed_range=(1, 5)), ValueError),
    ]:
        with pytest.raises(error):
            b.set_number_of_neighbors_with_bounds(**kwargs)


def test_builder_add_samples():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 4))
    b = KNearestNeighborsClassifierBuilder("input", "output", 4, 0)
    b.add_samples(x[:3], np.array([0, 1, 2]))
    b.add_samples(x[3:], [2, 1, 0])
    index = b.spec.kNearestNeighborsClassifier.nearestNeighborsIndex
    np.testing.assert_allclose([list(s.vector) for s in index.floatSamples], x.astype(np.float32), rtol=0)
    assert list(b.spec.kNearestNeighborsClassifier.int64ClassLabels.vector) == [0, 1, 2, 2, 1, 0]

    s = KNearestNeighborsClassifierBuilder("input", "output", 4, "d")
    s.add_samples(x[:2], ["one", "two"])
    assert list(s.spec.kNearestNeighborsClassifier.stringClassLabels.vector) == ["one", "two"]
    for points, labels in [([[1.0, 2.4]], [0]), (x, [0, 1]), ([], [0]), (x, [])]:
        with pytest.raises(TypeError):
            b.add_samples(points, labels)
    with pytest.raises(TypeError):
        b.add_samples(x[:3], [0, "one", 2])
    with pytest.raises(TypeError):
        s.add_samples(x[:3], ["zero", "one", 2])
    assert len(s.spec.kNearestNeighborsClassifier.stringClassLabels.vector) == 2  # nothing half-added


def test_builder_model_saves_and_reloads(tmp_path):
    rng = np.random.default_rng(8)
    points = rng.normal(size=(50, 3))
    labels = [int(v) for v in rng.integers(0, 3, size=50)]
    model = knn_model(points, labels, 3, "uniform", "kd_tree")
    path = str(tmp_path / "knn.mlmodel")
    model.save(path)
    reloaded = ct.models.MLModel(path)
    for q in rng.normal(size=(10, 3)).astype(np.float32):
        assert reloaded.predict({"x": q}) == model.predict({"x": q})


# --- batches and threads -------------------------------------------------------------------

def test_batch_and_concurrent_predictions_match_single_ones():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(40)
    svc = ct.models.MLModel(svc_spec("rbf", ["a", "b", "c"], [4, 4, 4], 5, False, True, 41)[0])
    glm = ct.models.MLModel(glm_classifier_spec(rng.normal(size=(3, 5)), rng.normal(size=3), [1, 2, 3],
                                                "Logit", "OneVsRest", 5))
    points = rng.normal(size=(400, 5))
    knn = knn_model(points, [int(v) for v in rng.integers(0, 3, size=400)], 5, "inverse_distance", "kd_tree")
    queries = [{"x": q} for q in rng.normal(size=(64, 5)).astype(np.float32)]
    for model in (svc, glm, knn):
        single = [model.predict(q) for q in queries]
        assert model.predict(queries) == single
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert list(pool.map(model.predict, queries)) == single


# --- bad inputs -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_models():
    return {name: ct.models.MLModel(case_by_name(name).model_path)
            for name in ("sk_linear_regression", "sk_svc_rbf_probability", "sk_kneighbors_classifier",
                         "sk_logistic_regression_binary")}


@pytest.mark.parametrize("name,size", [
    ("sk_linear_regression", 4), ("sk_svc_rbf_probability", 6),
    ("sk_kneighbors_classifier", 3), ("sk_logistic_regression_binary", 7),
])
def test_wrong_number_of_values_names_the_feature(corpus_models, name, size):
    with pytest.raises(ValueError, match="'input'"):
        corpus_models[name].predict({"input": np.zeros(size)})


@pytest.mark.parametrize("name", ["sk_linear_regression", "sk_svc_rbf_probability", "sk_kneighbors_classifier"])
def test_string_for_a_number_names_the_feature(corpus_models, name):
    with pytest.raises(ValueError, match="'input'"):
        corpus_models[name].predict({"input": "1.0 2.0 3.0"})


def test_missing_input_names_the_feature():
    model = ct.models.MLModel(glm_regressor_spec(np.ones((1, 5)), [0.0], "NoTransform", False))
    with pytest.raises((ValueError, KeyError), match="'c'"):
        model.predict({"a": 1.0, "b": np.zeros(3)})
    with pytest.raises(ValueError, match="'a'"):
        model.predict({"a": "x", "b": np.zeros(3), "c": 1})


def test_row_length_mismatch_names_all_inputs():
    # Weights for 6 values while the inputs give 5: the error lists the features feeding
    # the row.
    model = ct.models.MLModel(glm_regressor_spec(np.ones((1, 6)), [0.0], "NoTransform", False))
    with pytest.raises(ValueError, match="'a', 'b', 'c' must give 6 numeric values in total, got 5"):
        model.predict({"a": 1.0, "b": np.zeros(3), "c": 2})
