"""Every MIL op type this build registers is run by some test: this file runs the ML program
test files (tests/test_mil_*.py) in a child pytest with a plugin that records the op types
(also inside nested blocks) of every ML program passed to MLModel.predict, and fails naming
any supported op no test predicts. constexpr_* ops count too: they run when a model loads,
and every such test predicts the model afterwards."""
import json
import os
import subprocess
import sys
import textwrap

from opencoreml import _core

HERE = os.path.dirname(os.path.abspath(__file__))

PLUGIN = textwrap.dedent('''
    import json, os
    import opencoreml as ct

    seen = set()
    _predict = ct.models.MLModel.predict

    def _walk(block):
        for op in block.operations:
            seen.add(op.type)
            for nested in op.blocks:
                _walk(nested)

    def predict(self, *args, **kwargs):
        spec = self.get_spec()
        if spec.WhichOneof("Type") == "mlProgram":
            for function in spec.mlProgram.functions.values():
                for block in function.block_specializations.values():
                    _walk(block)
        return _predict(self, *args, **kwargs)

    ct.models.MLModel.predict = predict

    def pytest_sessionfinish(session, exitstatus):
        with open(os.environ["OCML_OPS_OUT"], "w") as f:
            json.dump(sorted(seen), f)
''')


def test_every_supported_mil_op_is_predicted_by_a_test(tmp_path):
    (tmp_path / "op_recorder.py").write_text(PLUGIN)
    files = sorted(f for f in os.listdir(HERE)
                   if f.startswith("test_mil_") and f.endswith(".py") and f != os.path.basename(__file__))
    out = tmp_path / "ops.json"
    env = dict(os.environ, OCML_OPS_OUT=str(out),
               PYTHONPATH=os.pathsep.join([str(tmp_path), HERE, os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "op_recorder", "-p", "no:cacheprovider",
                          *files], cwd=HERE, env=env, capture_output=True, text=True, timeout=1200)
    # A failing test there fails in the main run too; here only a crash of the run matters.
    assert run.returncode in (0, 1) and out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    seen = set(json.loads(out.read_text()))
    supported = set(_core.supported_mil_ops())
    assert len(supported) >= 167  # every MIL op type but `const`, which the loader decodes itself
    assert sorted(supported - seen) == []
