"""Tree ensemble benchmark: opencoreml against ONNX Runtime and XGBoost.

Trains a 500-tree, depth-6 XGBoost regressor and binary classifier on random data, turns
each into a Core ML model with opencoreml's TreeEnsemble builders (from the booster's JSON
dump) and into ONNX with onnxmltools, checks that all three agree, then times

* batch 1: median latency of one prediction (after warm-up), opencoreml vs ONNX Runtime;
* 10 000 rows: opencoreml's batch predict (a list of dicts) vs XGBoost's own predict.

Not a test. Needs: pip install xgboost onnxmltools onnxruntime
Run: python benchmarks/bench_trees.py [--trees 500] [--depth 6] [--rows 10000] [--threads N]
(--threads sets OPENCOREML_NUM_THREADS, XGBoost's n_jobs and ONNX Runtime's intra-op threads;
by default each uses every core.)
"""
import argparse
import json
import os
import statistics
import tempfile
import time

import numpy as np

import opencoreml as ct
from opencoreml.models import datatypes
from opencoreml.models.tree_ensemble import TreeEnsembleClassifier, TreeEnsembleRegressor

N_FEATURES = 20


def make_data(rng, n_rows):
    X = rng.normal(size=(n_rows, N_FEATURES)).astype(np.float32)
    signal = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] - 0.5 * X[:, 3] ** 2 + 0.3 * X[:, 4:10].sum(axis=1)
    y_reg = signal + 0.1 * rng.normal(size=n_rows)
    y_cls = (signal + 0.5 * rng.normal(size=n_rows) > 0).astype(np.int64)
    return X, y_reg.astype(np.float32), y_cls


def train(args, X, y_reg, y_cls):
    import xgboost

    common = dict(n_estimators=args.trees, max_depth=args.depth, learning_rate=0.1, base_score=0.5,
                  tree_method="hist", max_bin=256, random_state=0)
    reg = xgboost.XGBRegressor(objective="reg:squarederror", **common).fit(X, y_reg)
    cls = xgboost.XGBClassifier(objective="binary:logistic", **common).fit(X, y_cls)
    return reg, cls


def add_booster_trees(builder, booster):
    """XGBoost's JSON dump: go to `yes` when x < split_condition, NaN goes to `missing`.
    Values are float32 in XGBoost; rounding the printed decimals back to float32 keeps every
    comparison identical to XGBoost's."""
    f32 = lambda v: float(np.float32(v))  # noqa: E731
    for tree_id, dump in enumerate(booster.get_dump(dump_format="json")):
        stack = [json.loads(dump)]
        while stack:
            node = stack.pop()
            if "leaf" in node:
                builder.add_leaf_node(tree_id, node["nodeid"], f32(node["leaf"]))
                continue
            builder.add_branch_node(tree_id, node["nodeid"], int(node["split"][1:]), f32(node["split_condition"]),
                                    "BranchOnValueLessThan", node["yes"], node["no"],
                                    missing_value_tracks_true_child=node["missing"] == node["yes"])
            stack.extend(node["children"])


def coreml_models(reg, cls, workdir):
    features = [("input", datatypes.Array(N_FEATURES))]

    r = TreeEnsembleRegressor(features, "prediction")
    r.set_default_prediction_value(0.5)  # base_score; squared error adds it as is
    add_booster_trees(r, reg.get_booster())

    c = TreeEnsembleClassifier(features, [0, 1], "label")
    c.set_default_prediction_value(0.0)  # logit(base_score 0.5)
    c.set_post_evaluation_transform("Regression_Logistic")
    add_booster_trees(c, cls.get_booster())

    models = []
    for name, builder in (("regressor", r), ("classifier", c)):
        path = os.path.join(workdir, name + ".mlmodel")
        ct.models.utils.save_spec(builder.spec, path)
        models.append(ct.models.MLModel(path))
    return models


def onnx_sessions(reg, cls, threads):
    import onnxmltools
    import onnxruntime as ort
    from onnxmltools.convert.common.data_types import FloatTensorType

    sessions = []
    for model in (reg, cls):
        onx = onnxmltools.convert_xgboost(model, initial_types=[("input", FloatTensorType([None, N_FEATURES]))],
                                          target_opset=15)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        sessions.append(ort.InferenceSession(onx.SerializeToString(), options, providers=["CPUExecutionProvider"]))
    return sessions


def median_latency(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def best_time(fn, repeats):
    fn()
    return min(_timed(fn) for _ in range(repeats))


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def check_agreement(name, ours, xgb, onnx):
    d_xgb = float(np.max(np.abs(ours - xgb)))
    d_onnx = float(np.max(np.abs(ours - onnx)))
    print("  %-10s max |opencoreml - xgboost| = %.2g, max |opencoreml - onnxruntime| = %.2g" % (name, d_xgb, d_onnx))
    # XGBoost and ONNX Runtime sum 500 float32 leaf values; opencoreml sums in double.
    assert d_xgb < 1e-3 and d_onnx < 1e-3, "%s: the converted models disagree" % name


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trees", type=int, default=500)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--train-rows", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=2000, help="batch-1 timings per model")
    parser.add_argument("--threads", type=int, default=0, help="threads for every runtime (0: their default, all cores)")
    args = parser.parse_args()
    if args.threads:
        os.environ["OPENCOREML_NUM_THREADS"] = str(args.threads)

    import onnxruntime
    import xgboost

    rng = np.random.default_rng(0)
    X, y_reg, y_cls = make_data(rng, args.train_rows)
    X_test = make_data(rng, args.rows)[0]
    X_test[rng.random(size=X_test.shape) < 0.01] = np.nan  # exercise the missing-value routes
    print("training %d trees of depth %d on %d x %d random rows (xgboost %s)" %
          (args.trees, args.depth, args.train_rows, N_FEATURES, xgboost.__version__))
    reg, cls = train(args, X, y_reg, y_cls)
    if args.threads:
        reg.set_params(n_jobs=args.threads)
        cls.set_params(n_jobs=args.threads)

    with tempfile.TemporaryDirectory() as workdir:
        t0 = time.perf_counter()
        ml_reg, ml_cls = coreml_models(reg, cls, workdir)
        print("built and loaded the Core ML models in %.2f s" % (time.perf_counter() - t0))
        ort_reg, ort_cls = onnx_sessions(reg, cls, args.threads)
        print("onnxruntime %s; %d cores, threads: %s" % (onnxruntime.__version__, os.cpu_count(), args.threads or "all"))

        rows64 = X_test.astype(np.float64)
        batch = [{"input": row} for row in rows64]

        print("agreement on %d rows (1%% NaN):" % args.rows)
        ours = np.array([o["prediction"] for o in ml_reg.predict(batch)])
        onnx_out = ort_reg.run(None, {"input": X_test})[0].reshape(-1)
        check_agreement("regressor", ours, reg.predict(X_test), onnx_out)
        ours = np.array([o["classProbability"][1] for o in ml_cls.predict(batch)])
        onnx_out = ort_cls.run(None, {"input": X_test})[1]
        onnx_out = np.array([p[1] for p in onnx_out]) if isinstance(onnx_out, list) else onnx_out[:, 1]
        check_agreement("classifier", ours, cls.predict_proba(X_test)[:, 1], onnx_out)

        results = []
        for name, model, session, xgb_model in (("regressor", ml_reg, ort_reg, reg), ("classifier", ml_cls, ort_cls, cls)):
            # The first 256 rows cycled, so neither side benefits from one hot input.
            k = iter(range(10 ** 9))
            lat_ours = median_latency(lambda: model.predict(batch[next(k) % 256]), 200, args.repeats)
            k = iter(range(10 ** 9))
            lat_onnx = median_latency(lambda: session.run(None, {"input": X_test[next(k) % 256][None, :]}), 200,
                                      args.repeats)
            xgb_predict = xgb_model.predict if name == "regressor" else xgb_model.predict_proba
            big_ours = best_time(lambda: model.predict(batch), 5)
            big_xgb = best_time(lambda: xgb_predict(X_test), 5)
            big_onnx = best_time(lambda: session.run(None, {"input": X_test}), 5)
            results.append((name, lat_ours, lat_onnx, big_ours, big_xgb, big_onnx))

    print()
    print("%-10s | batch 1 median: opencoreml  onnxruntime  ratio | %d rows: opencoreml  xgboost  ratio  (onnxruntime)" %
          ("model", args.rows))
    for name, lat_ours, lat_onnx, big_ours, big_xgb, big_onnx in results:
        print("%-10s |             %7.1f us   %7.1f us  %5.2f | %12.1f ms %7.1f ms %6.2f  (%.1f ms)" %
              (name, lat_ours * 1e6, lat_onnx * 1e6, lat_ours / lat_onnx, big_ours * 1e3, big_xgb * 1e3,
               big_ours / big_xgb, big_onnx * 1e3))
    print("ratio = opencoreml time / other time (below 1: opencoreml is faster); bar: <= 1.5")
    worst = max(max(r[1] / r[2], r[3] / r[4]) for r in results)
    print("worst ratio %.2f: %s" % (worst, "within the bar" if worst <= 1.5 else "OVER the bar"))


if __name__ == "__main__":
    main()
