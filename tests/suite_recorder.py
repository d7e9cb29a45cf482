"""What a group of test files predicts: `predicted_in_suite` runs tests/<prefix>*.py (but the
calling file) in a child pytest with a plugin that wraps MLModel.predict, hands the spec of every
model predicted to a `_record(spec)` function the caller writes (adding what it finds to the set
`seen`), and writes that set out as JSON when the session ends."""
import json
import os
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))

_PLUGIN_HEAD = '''
import json, os
import opencoreml as ct

seen = set()
_predict = ct.models.MLModel.predict
'''

_PLUGIN_TAIL = '''

def predict(self, *args, **kwargs):
    _record(self.get_spec())
    return _predict(self, *args, **kwargs)

ct.models.MLModel.predict = predict

def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["OCML_RECORD_OUT"], "w") as f:
        json.dump(sorted(seen), f)
'''


def predicted_in_suite(tmp_path, prefix, caller, record_source, timeout):
    """The set `seen` that `record_source` (source defining `_record(spec)`) collects over the
    predictions of tests/<prefix>*.py, all but `caller` (a path), run in a child pytest."""
    (tmp_path / "suite_record_plugin.py").write_text(_PLUGIN_HEAD + textwrap.dedent(record_source) + _PLUGIN_TAIL)
    files = sorted(f for f in os.listdir(HERE)
                   if f.startswith(prefix) and f.endswith(".py") and f != os.path.basename(caller))
    out = tmp_path / "seen.json"
    env = dict(os.environ, OCML_RECORD_OUT=str(out),
               PYTHONPATH=os.pathsep.join([str(tmp_path), HERE, os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "suite_record_plugin", "-p", "no:cacheprovider",
                          *files], cwd=HERE, env=env, capture_output=True, text=True, timeout=timeout)
    # A failing test there fails in the main run too; here only a crash of the run matters.
    assert run.returncode in (0, 1) and out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    return set(json.loads(out.read_text()))
