"""Every MIL op type this build registers is run by some test: this file runs the ML program
test files (tests/test_mil_*.py) in a child pytest with a plugin that records the op types
(also inside nested blocks) of every ML program passed to MLModel.predict, and fails naming
any supported op no test predicts. constexpr_* ops count too: they run when a model loads,
and every such test predicts the model afterwards."""
from opencoreml import _core

from suite_recorder import predicted_in_suite

RECORD_OPS = '''
    def _walk(block):
        for op in block.operations:
            seen.add(op.type)
            for nested in op.blocks:
                _walk(nested)

    def _record(spec):
        if spec.WhichOneof("Type") == "mlProgram":
            for function in spec.mlProgram.functions.values():
                for block in function.block_specializations.values():
                    _walk(block)
'''


def test_every_supported_mil_op_is_predicted_by_a_test(tmp_path):
    seen = predicted_in_suite(tmp_path, "test_mil_", __file__, RECORD_OPS, timeout=1200)
    supported = set(_core.supported_mil_ops())
    assert len(supported) >= 167  # every MIL op type but `const`, which the loader decodes itself
    assert sorted(supported - seen) == []
