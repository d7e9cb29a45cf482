"""GLM benchmark: a scikit-learn LogisticRegression as a Core ML glmClassifier in opencoreml,
against ONNX Runtime (the same model through skl2onnx) and scikit-learn's own predict_proba.

* batch 1: median latency of one prediction after warm-up;
* 10 000 rows: opencoreml's batch predict (a list of dicts) vs ORT and scikit-learn on one array.

Not a test. Needs: pip install scikit-learn skl2onnx onnxruntime
Run: python benchmarks/bench_glm.py [--features 20] [--rows 10000]
"""
import argparse
import statistics
import time

import numpy as np

import opencoreml as ct
from opencoreml.proto import Model_pb2


def glm_spec(model, n_features):
    spec = Model_pb2.Model()
    spec.specificationVersion = 1
    f = spec.description.input.add()
    f.name = "x"
    f.type.multiArrayType.shape.append(n_features)
    f.type.multiArrayType.dataType = f.type.multiArrayType.DOUBLE
    label = spec.description.output.add()
    label.name = "classLabel"
    label.type.int64Type.SetInParent()
    probs = spec.description.output.add()
    probs.name = "classProbability"
    probs.type.dictionaryType.int64KeyType.SetInParent()
    spec.description.predictedFeatureName = "classLabel"
    spec.description.predictedProbabilitiesName = "classProbability"
    glm = spec.glmClassifier
    glm.weights.add().value.extend(model.coef_[0].tolist())
    glm.offset.append(float(model.intercept_[0]))
    glm.postEvaluationTransform = Model_pb2.GLMClassifier.Logit
    glm.classEncoding = Model_pb2.GLMClassifier.ReferenceClass
    glm.int64ClassLabels.vector.extend([0, 1])
    return spec


def median_us(fn, repeats=2000):
    for _ in range(100):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def best_ms(fn, repeats=5):
    fn()
    return min(_timed(fn) for _ in range(repeats)) * 1e3


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--rows", type=int, default=10000)
    args = ap.parse_args()
    import onnxruntime as ort
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, args.features))
    y = (X @ rng.normal(size=args.features) + 0.3 * rng.normal(size=5000) > 0).astype(np.int64)
    sk = LogisticRegression().fit(X, y)
    model = ct.models.MLModel(glm_spec(sk, args.features))
    onx = to_onnx(sk, X[:1].astype(np.float64), options={id(sk): {"zipmap": False}})
    sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    in_name = sess.get_inputs()[0].name

    rows = rng.normal(size=(args.rows, args.features))
    ours = model.predict([{"x": r} for r in rows[:200]])
    diff = max(abs(o["classProbability"][1] - p) for o, p in zip(ours, sk.predict_proba(rows[:200])[:, 1]))
    print("max |P(1) opencoreml - scikit-learn| on 200 rows: %.2e" % diff)

    one = rows[0]
    t_ocml = median_us(lambda: model.predict({"x": one}))
    t_ort = median_us(lambda: sess.run(None, {in_name: one[None, :]}))
    t_sk = median_us(lambda: sk.predict_proba(one[None, :]), repeats=500)
    print("batch 1 (median us): opencoreml %.1f  ORT %.1f  scikit-learn %.1f  -> opencoreml/ORT %.2f" % (t_ocml, t_ort, t_sk, t_ocml / t_ort))

    batch = [{"x": r} for r in rows]
    b_ocml = best_ms(lambda: model.predict(batch))
    b_ort = best_ms(lambda: sess.run(None, {in_name: rows}))
    b_sk = best_ms(lambda: sk.predict_proba(rows))
    print("%d rows (best ms): opencoreml %.1f  ORT %.1f  scikit-learn %.1f" % (args.rows, b_ocml, b_ort, b_sk))


if __name__ == "__main__":
    main()
