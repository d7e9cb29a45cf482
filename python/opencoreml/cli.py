"""The ``opencoreml`` command line: ``info`` (describe a model), ``validate`` (check that a
model file or package loads cleanly) and ``predict`` (run a model on inputs from an .npz or
JSON file)."""
import argparse
import json
import sys


def _cmd_info(args):
    from . import _core

    summary = _core.summarize(args.model)
    if args.json:
        summary.pop("text")
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        print(summary["text"], end="")
    return 0


def _cmd_validate(args):
    from . import _core

    status = 0
    for path in args.models:
        try:
            info = _core.load_model_file(path)
        except Exception as e:  # report every model, then fail
            print("INVALID %s\n  %s: %s" % (path, type(e).__name__, e))
            status = 1
        else:
            print("OK      %s (%d-byte spec%s)" % (path, len(info["spec"]), ", package" if info["is_package"] else ""))
    return status


def _load_inputs(path):
    import numpy as np

    if path.endswith(".npz"):
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    with open(path) as f:
        return json.load(f)


def _cmd_predict(args):
    import numpy as np

    from .models.model import MLModel

    model = MLModel(args.model, function_name=args.function)
    outputs = model.predict(_load_inputs(args.inputs))
    if args.output:
        np.savez(args.output, **{k: np.asarray(v) for k, v in outputs.items()})
    for name, value in outputs.items():
        print("%s: %s" % (name, np.array2string(np.asarray(value), threshold=40) if not isinstance(value, dict) else value))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="opencoreml", description="Inspect, validate and run Core ML models.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("info", help="describe a model: kind, interface, metadata, op/layer counts, weights")
    p.add_argument("model", help=".mlmodel file or .mlpackage folder")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(run=_cmd_info)

    p = sub.add_parser("validate", help="check that models load: spec, manifest, weight references")
    p.add_argument("models", nargs="+")
    p.set_defaults(run=_cmd_validate)

    p = sub.add_parser("predict", help="run a model on inputs from an .npz or JSON file")
    p.add_argument("model")
    p.add_argument("inputs", help=".npz (arrays by feature name) or .json (feature name -> value)")
    p.add_argument("--function", default=None, help="function of a multifunction model")
    p.add_argument("-o", "--output", help="also save the outputs to this .npz file")
    p.set_defaults(run=_cmd_predict)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError, NotImplementedError, KeyError, TypeError) as e:
        print("opencoreml %s: %s: %s" % (args.command, type(e).__name__, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
