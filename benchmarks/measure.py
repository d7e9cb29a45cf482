"""One measurement in a process of its own: load one model file in one runtime (opencoreml,
ONNX Runtime or PyTorch eager) at a given number of threads, then time single-sample
predictions and a batch, compare the outputs with PyTorch's, and report the process's peak
RSS. run.py starts this once per (model, runtime, threads) so that each runtime's memory
and thread settings are its own; only the runtime being measured is imported.

Usage (normally by run.py): python benchmarks/measure.py '<job as JSON>'
Prints one line "RESULT <json>" on stdout.
"""
import json
import os
import resource
import statistics
import sys
import time
import warnings

import numpy as np


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_calls(fn, warmup, min_calls, max_calls, budget_s):
    """Seconds taken by each of at least `min_calls` (and at most `max_calls`) calls of fn,
    stopping once `budget_s` is spent, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_calls and (len(times) < min_calls or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


class OpenCoreML:
    """Imports in __init__, loads in load(): only load() counts as load time."""

    def __init__(self, job):
        # Must be set before the model is loaded: the loader reads it.
        os.environ["OPENCOREML_NUM_THREADS"] = str(job["threads"])
        import opencoreml

        self.ct = opencoreml
        self.x, self.y = job["input"], job["output"]

    def load(self, path):
        with warnings.catch_warnings():
            # An unsupported op only warns at load; the NotImplementedError comes at predict.
            warnings.simplefilter("ignore", RuntimeWarning)
            self.model = self.ct.models.MLModel(path)

    def one(self, x):
        return self.model.predict({self.x: x})[self.y]

    def batch(self, xs):
        outputs = self.model.predict([{self.x: xs[i : i + 1]} for i in range(len(xs))])
        return np.concatenate([o[self.y] for o in outputs])


class OnnxRuntime:
    def __init__(self, job):
        import onnxruntime

        self.ort = onnxruntime
        self.options = onnxruntime.SessionOptions()
        self.options.intra_op_num_threads = job["threads"]
        self.options.inter_op_num_threads = 1
        self.x, self.y = job["input"], job["output"]

    def load(self, path):
        self.session = self.ort.InferenceSession(path, self.options, providers=["CPUExecutionProvider"])

    def one(self, x):
        return self.session.run([self.y], {self.x: x})[0]

    def batch(self, xs):
        return self.session.run([self.y], {self.x: xs})[0]


class PyTorch:
    def __init__(self, job):
        import torch

        torch.set_num_threads(job["threads"])
        torch.set_num_interop_threads(1)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the pickle refers to models.py
        import models  # noqa: F401  (imported here so that its import is not counted as load time)

        self.torch = torch

    def load(self, path):
        self.model = self.torch.load(path, weights_only=False).eval()

    def run(self, x):
        with self.torch.inference_mode():
            return self.model(self.torch.from_numpy(x)).numpy()

    one = batch = run


RUNTIMES = {"opencoreml": OpenCoreML, "onnxruntime": OnnxRuntime, "pytorch": PyTorch}


def max_abs_diff(actual, expected):
    actual = np.asarray(actual, dtype=np.float32)
    if actual.size != expected.size:
        raise ValueError("output has shape %s, PyTorch's has %s" % (actual.shape, expected.shape))
    return float(np.max(np.abs(actual.reshape(expected.shape) - expected)))


def measure(job):
    inputs = np.load(job["inputs"])
    expected = np.load(job["expected"])
    one = inputs[:1]

    t0 = time.perf_counter()
    runtime = RUNTIMES[job["runtime"]](job)
    t1 = time.perf_counter()
    runtime.load(job["path"])
    t2 = time.perf_counter()

    first = runtime.one(one)  # raises here for a model opencoreml cannot run yet
    latencies = time_calls(lambda: runtime.one(one), warmup=job["warmup"], min_calls=20, max_calls=500,
                           budget_s=job["budget_s"])
    batch_out = runtime.batch(inputs)
    batch_times = time_calls(lambda: runtime.batch(inputs), warmup=1, min_calls=3, max_calls=50,
                             budget_s=job["budget_s"])
    return {
        "import_ms": (t1 - t0) * 1e3,
        "load_ms": (t2 - t1) * 1e3,
        "median_ms": statistics.median(latencies) * 1e3,
        "p90_ms": percentile(latencies, 0.9) * 1e3,
        "calls": len(latencies),
        "batch_per_s": len(inputs) / statistics.median(batch_times),
        "diff_one": max_abs_diff(first, expected[:1]),
        "diff_batch": max_abs_diff(batch_out, expected),
    }


def main():
    job = json.loads(sys.argv[1])
    try:
        result = measure(job)
    except Exception as e:  # reported per model by run.py, which carries on
        first_line = (str(e).strip().splitlines() or [""])[0]
        result = {"error": "%s: %s" % (type(e).__name__, first_line)}
    # ru_maxrss is in KiB on Linux.
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
