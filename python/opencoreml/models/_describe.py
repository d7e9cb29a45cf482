"""Text shown by ``repr(MLModel)``: kind, spec version, interface, metadata and op counts,
rendered by the C++ core's model summary so the CLI and ``repr`` agree."""
from .. import _core


def describe_spec(spec, path=None, function_name=None):
    text = _core.describe_spec(spec.SerializeToString(), path or "")
    text = text.replace("Model: ", "MLModel: ", 1)
    if function_name and len(spec.description.functions) > 0:
        text += "  selected function: %s\n" % function_name
    return text.rstrip("\n")
