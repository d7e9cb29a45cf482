"""iOS18 sub-byte constants for compression op tests: values packed LSB first into bytes, and
const ops of MIL type uint1/2/3/4/6 or int4 holding them, the way coremltools serializes them."""
import numpy as np

from mil_program import tensor_type
from opencoreml.proto import MIL_pb2

_SUB_BYTE = {"uint1": (MIL_pb2.UINT1, 1), "uint2": (MIL_pb2.UINT2, 2), "uint3": (MIL_pb2.UINT3, 3),
             "uint4": (MIL_pb2.UINT4, 4), "uint6": (MIL_pb2.UINT6, 6), "int4": (MIL_pb2.INT4, 4)}


def pack_bits(values, nbits):
    """Values (0 <= v < 2**nbits) packed LSB first, a field continuing into the next byte."""
    bits = ((np.asarray(values, dtype=np.int64).reshape(-1, 1) >> np.arange(nbits)) & 1).astype(np.uint8)
    return np.packbits(bits.reshape(-1), bitorder="little").tobytes()


def sub_byte_const(p, values, kind):
    """Adds to MilProgram `p` a const op holding `values` as MIL type `kind`; returns its name."""
    dtype, nbits = _SUB_BYTE[kind]
    values = np.asarray(values)
    name = p._name("const")
    op = p.block.operations.add()
    op.type = "const"
    op.attributes["name"].type.tensorType.dataType = MIL_pb2.STRING
    op.attributes["name"].immediateValue.tensor.strings.values.append(name)
    val = op.attributes["val"]
    val.type.CopyFrom(tensor_type(np.uint8, values.shape))
    val.type.tensorType.dataType = dtype
    stored = values.astype(np.int64) & ((1 << nbits) - 1)  # int4: two's complement nibbles
    val.immediateValue.tensor.bytes.values = pack_bits(stored, nbits)
    out = op.outputs.add()
    out.name = name
    out.type.CopyFrom(val.type)
    p.types[name] = np.dtype(np.int8 if kind == "int4" else np.uint8)
    return name
