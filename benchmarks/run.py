"""ML programs in opencoreml side by side with ONNX Runtime and PyTorch eager.

For every model prepared by prepare.py and every thread count, runs measure.py once per
runtime (each in its own process), then prints markdown tables: latency, batch throughput,
load time, peak RSS, output agreement, and the ratios opencoreml / ONNX Runtime and
opencoreml / PyTorch. A runtime that cannot run a model (opencoreml raises
NotImplementedError naming the ops it lacks) is reported and the run carries on.

Not a test. Run: python benchmarks/prepare.py && python benchmarks/run.py
Options: --models mlp,resnet  --threads 1,2  --budget 2 (seconds per timing loop)  --rounds 3
Raw results are also written to benchmarks/.cache/results.json (--report prints them again).
"""
# Imports neither torch nor numpy (models.py is read through prepare.py's index.json): a
# worker started from a big process would inherit that process's peak RSS in ru_maxrss.
import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache")
sys.path.insert(0, HERE)

import report

WORKER_TIMEOUT_S = 900


def entries(stamp):
    """(label, runtime, file) of everything to measure for one prepared model."""
    files = stamp["files"]
    out = [("opencoreml " + p.lower().replace("float", "fp"), "opencoreml", files[p]) for p in ("FLOAT32", "FLOAT16") if p in files]
    return out + [("onnxruntime", "onnxruntime", files["onnx"]), ("pytorch", "pytorch", files["torch"])]


def run_worker(job):
    env = dict(os.environ)
    # Pins the OpenMP/BLAS pools any of the libraries may start to the thread count under test.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENCOREML_NUM_THREADS"):
        env[var] = str(job["threads"])
    try:
        proc = subprocess.run([sys.executable, os.path.join(HERE, "measure.py"), json.dumps(job)], env=env,
                              capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after %d s" % WORKER_TIMEOUT_S}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    how = ("crashed (%s)" % signal.Signals(-proc.returncode).name if proc.returncode < 0
           else "exited with code %d" % proc.returncode)
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1].strip()
    return {"error": "worker %s: %s" % (how, tail)}


def machine_info():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for package in ("opencoreml", "onnxruntime", "torch", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {"date": datetime.date.today().isoformat(), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "versions": versions, "loadavg_start": os.getloadavg()[0]}


def read_index():
    path = os.path.join(CACHE, "index.json")
    if not os.path.exists(path):
        sys.exit("nothing prepared: run python benchmarks/prepare.py first")
    with open(path) as f:
        return json.load(f)


def measure_all(args, index):
    """One result per (model, runtime variant, thread count), in that nesting order."""
    results = []
    for name in args.models.split(","):
        folder = os.path.join(CACHE, name)
        stamp_path = os.path.join(folder, "stamp.json")
        if not os.path.exists(stamp_path):
            sys.exit("%s is not prepared: run python benchmarks/prepare.py first" % name)
        with open(stamp_path) as f:
            stamp = json.load(f)
        for threads in (int(t) for t in args.threads.split(",")):
            for label, runtime, file in entries(stamp):
                job = {"runtime": runtime, "path": os.path.join(folder, file), "threads": threads,
                       "inputs": os.path.join(folder, "inputs.npy"), "expected": os.path.join(folder, "expected.npy"),
                       "input": index["input"], "output": index["output"], "warmup": args.warmup, "budget_s": args.budget}
                result = run_worker(job)
                result.update(model=name, label=label, runtime=runtime, threads=threads,
                              input_shape=stamp["input_shape"], batch=stamp["batch"])
                results.append(result)
                print("  %-12s %-16s %d thread(s): %s" % (name, label, threads, report.one_line(result)), file=sys.stderr, flush=True)
    return results


def main():
    index = read_index()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(index["models"]), help="comma-separated names")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per timing loop (at least 20 calls)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed single predictions first")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure everything this many times and keep the best of each figure (a shared machine is noisy)")
    parser.add_argument("--report", action="store_true", help="only print the tables of the last run's results.json")
    args = parser.parse_args()
    results_path = os.path.join(CACHE, "results.json")
    if args.report:
        with open(results_path) as f:
            saved = json.load(f)
        print(report.markdown(saved["machine"], report.best_of(saved["rounds"])))
        return

    info = machine_info()
    rounds = []
    for round_number in range(args.rounds):
        print("round %d of %d" % (round_number + 1, args.rounds), file=sys.stderr, flush=True)
        rounds.append(measure_all(args, index))
    results = report.best_of(rounds)
    info["loadavg_end"] = os.getloadavg()[0]
    info["rounds"] = args.rounds

    with open(results_path, "w") as f:
        json.dump({"machine": info, "results": results, "rounds": rounds}, f, indent=1)
    print(report.markdown(info, results))


if __name__ == "__main__":
    main()
