"""A tiny ML program builder for tests: writes MIL programs op by op (as coremltools' MIL
builder would serialize them) so each op can be checked against numpy.

    p = MilProgram(opset="CoreML7")
    x = p.input("x", np.float32, (2, 3))
    y = p.op("add", x=x, y=np.float32(1))          # numpy values are inlined
    p.output(y)
    model = p.model(tmp_path)                      # an opencoreml MLModel
    model.predict({"x": ...})["<output name>"]

``p.op`` returns the output name (or a list of names when ``outputs`` > 1). Output dtypes
default to the first tensor input's dtype; pass ``dtypes=[...]`` to declare others.
``p.const(array, blob=True)`` stores the value in weights/weight.bin like a real model.
A list-typed output (make_list, list_write, list_scatter) is declared by passing
``list_type(dtype, elem_shape)`` in ``dtypes``; the list's name then counts as its element
dtype for the next op's default output dtype.

NOTE: as with coremltools on a Mac, a float16 output comes back from ``predict`` as a
float32 numpy array (holding float16-rounded values): check ``out.dtype == np.float32`` and
compare against a reference rounded to float16, e.g. ``ref.astype(np.float16).astype(np.float32)``.
"""
import os

import numpy as np

import opencoreml as ct
from opencoreml.proto import FeatureTypes_pb2, MIL_pb2, Model_pb2

DT = MIL_pb2
_NUMPY_TO_MIL = {
    np.dtype(np.float16): DT.FLOAT16, np.dtype(np.float32): DT.FLOAT32, np.dtype(np.float64): DT.FLOAT64,
    np.dtype(np.int8): DT.INT8, np.dtype(np.int16): DT.INT16, np.dtype(np.int32): DT.INT32, np.dtype(np.int64): DT.INT64,
    np.dtype(np.uint8): DT.UINT8, np.dtype(np.uint16): DT.UINT16, np.dtype(np.uint32): DT.UINT32,
    np.dtype(np.bool_): DT.BOOL,
}
_ARRAY_TYPES = {np.dtype(np.float32): FeatureTypes_pb2.ArrayFeatureType.FLOAT32,
                np.dtype(np.float64): FeatureTypes_pb2.ArrayFeatureType.DOUBLE,
                np.dtype(np.float16): FeatureTypes_pb2.ArrayFeatureType.FLOAT16,
                np.dtype(np.int32): FeatureTypes_pb2.ArrayFeatureType.INT32}
_MIL_TO_NUMPY = {v: k for k, v in _NUMPY_TO_MIL.items()}
_OPSET_SPEC = {"CoreML5": 6, "CoreML6": 7, "CoreML7": 8, "CoreML8": 9}


def tensor_type(dtype, shape):
    t = MIL_pb2.ValueType()
    t.tensorType.dataType = dtype if isinstance(dtype, int) else _NUMPY_TO_MIL[np.dtype(dtype)]
    if shape is None:
        t.tensorType.rank = -1
    else:
        t.tensorType.rank = len(shape)
        for d in shape:
            dim = t.tensorType.dimensions.add()
            if d is None or d < 0:
                dim.unknown.variadic = False
            else:
                dim.constant.size = int(d)
    return t


def list_type(dtype, elem_shape, length=None):
    """A MIL list ValueType: elements of `dtype` and `elem_shape` (None for an unknown dim),
    `length` None when not known (dynamic)."""
    t = MIL_pb2.ValueType()
    t.listType.type.CopyFrom(tensor_type(dtype, elem_shape))
    if length is None:
        t.listType.length.unknown.variadic = False
    else:
        t.listType.length.constant.size = int(length)
    return t


def immediate(value):
    """A MIL Value holding `value` (numpy array/scalar, bool, int, float, str or list of str)."""
    v = MIL_pb2.Value()
    if isinstance(value, str) or (isinstance(value, (list, tuple)) and value and all(isinstance(s, str) for s in value)):
        strings = [value] if isinstance(value, str) else list(value)
        v.type.CopyFrom(tensor_type(DT.STRING, () if isinstance(value, str) else (len(strings),)))
        v.immediateValue.tensor.strings.values.extend(strings)
        return v
    arr = np.asarray(value)
    if arr.dtype == np.float64 and not isinstance(value, np.ndarray) and not isinstance(value, np.generic):
        arr = arr.astype(np.float32)  # Python floats become fp32 like coremltools does
    if arr.dtype == np.int64 and not isinstance(value, (np.ndarray, np.generic)):
        arr = arr.astype(np.int32)
    v.type.CopyFrom(tensor_type(arr.dtype, arr.shape))
    t = v.immediateValue.tensor
    flat = arr.reshape(-1)
    if arr.dtype == np.float32:
        t.floats.values.extend(flat.tolist())
    elif arr.dtype == np.float64:
        t.doubles.values.extend(flat.tolist())
    elif arr.dtype in (np.int32, np.int16, np.uint16):
        t.ints.values.extend(flat.astype(np.int64).tolist())
    elif arr.dtype in (np.int64,):
        t.longInts.values.extend(flat.tolist())
    elif arr.dtype == np.bool_:
        t.bools.values.extend(flat.tolist())
    else:  # fp16, int8, uint8, uint32: raw little-endian bytes
        t.bytes.values = flat.astype(arr.dtype.newbyteorder("<")).tobytes()
    return v


class MilProgram:
    def __init__(self, opset="CoreML7"):
        self.opset = opset
        self.block = MIL_pb2.Block()
        self.inputs = []   # (name, dtype, shape)
        self.outputs = []
        self.types = {}    # value name -> numpy dtype
        self.blobs = []    # (offset placeholder index, array)
        self.states = []
        self._count = 0

    def _name(self, prefix):
        self._count += 1
        return "%s_%d" % (prefix, self._count)

    def input(self, name, dtype, shape):
        self.inputs.append((name, np.dtype(dtype), tuple(shape)))
        self.types[name] = np.dtype(dtype)
        return name

    def state(self, name, dtype, shape):
        self.states.append((name, np.dtype(dtype), tuple(shape)))
        self.types[name] = np.dtype(dtype)
        return name

    def const(self, value, name=None, blob=False):
        name = name or self._name("const")
        op = self.block.operations.add()
        op.type = "const"
        op.attributes["name"].CopyFrom(immediate(name))
        arr = np.asarray(value)
        if blob:
            val = op.attributes["val"]
            val.type.CopyFrom(tensor_type(arr.dtype, arr.shape))
            val.blobFileValue.fileName = "@model_path/weights/weight.bin"
            self.blobs.append((val, arr))
            out_type = val.type
        else:
            op.attributes["val"].CopyFrom(immediate(value))
            out_type = op.attributes["val"].type
        out = op.outputs.add()
        out.name = name
        out.type.CopyFrom(out_type)
        self.types[name] = arr.dtype if not isinstance(value, str) else None
        return name

    def op(self, op_type, outputs=1, dtypes=None, shapes=None, name=None, blocks=(), **inputs):
        op = self.block.operations.add()
        op.type = op_type
        op.attributes["name"].CopyFrom(immediate(name or self._name(op_type)))
        first_dtype = None
        for param, value in inputs.items():
            if value is None:
                continue
            arg = op.inputs[param]
            values = value if isinstance(value, list) and value and all(isinstance(v, str) and v in self.types for v in value) else [value]
            for v in values:
                binding = arg.arguments.add()
                if isinstance(v, str) and v in self.types:
                    binding.name = v
                    first_dtype = first_dtype or self.types[v]
                else:
                    binding.value.CopyFrom(immediate(v))
                    if first_dtype is None and not isinstance(v, (str, list)):
                        first_dtype = np.asarray(v).dtype
        for b in blocks:
            op.blocks.add().CopyFrom(b)
        names = []
        for i in range(outputs):
            out = op.outputs.add()
            out.name = self._name(op_type + "_out")
            if dtypes and isinstance(dtypes[i], MIL_pb2.ValueType):  # e.g. list_type(...)
                out.type.CopyFrom(dtypes[i])
                self.types[out.name] = _MIL_TO_NUMPY.get(dtypes[i].listType.type.tensorType.dataType)
                names.append(out.name)
                continue
            dtype = np.dtype(dtypes[i]) if dtypes else (first_dtype or np.dtype(np.float32))
            shape = shapes[i] if shapes else None
            out.type.CopyFrom(tensor_type(dtype, shape))
            self.types[out.name] = dtype
            names.append(out.name)
        if outputs == 0:
            return None
        return names[0] if outputs == 1 else names

    def output(self, *names):
        self.outputs.extend(names)

    def spec(self):
        spec = Model_pb2.Model()
        spec.specificationVersion = _OPSET_SPEC[self.opset]
        for name, dtype, shape in self.inputs:
            f = spec.description.input.add()
            f.name = name
            f.type.multiArrayType.dataType = _ARRAY_TYPES[dtype]
            f.type.multiArrayType.shape.extend(shape)
        for name in self.outputs:
            f = spec.description.output.add()
            f.name = name
            dtype = self.types.get(name)
            f.type.multiArrayType.dataType = _ARRAY_TYPES.get(dtype, FeatureTypes_pb2.ArrayFeatureType.FLOAT32)
        for name, dtype, shape in self.states:
            f = spec.description.state.add()
            f.name = name
            f.type.stateType.arrayType.dataType = _ARRAY_TYPES[dtype]
            f.type.stateType.arrayType.shape.extend(shape)
        function = spec.mlProgram.functions["main"]
        spec.mlProgram.version = 1
        function.opset = self.opset
        for name, dtype, shape in self.inputs:
            nvt = function.inputs.add()
            nvt.name = name
            nvt.type.CopyFrom(tensor_type(dtype, shape))
        for name, dtype, shape in self.states:
            nvt = function.inputs.add()
            nvt.name = name
            nvt.type.stateType.wrappedType.CopyFrom(tensor_type(dtype, shape))
        block = function.block_specializations[self.opset]
        block.CopyFrom(self.block)
        block.ClearField("outputs")
        block.outputs.extend(self.outputs)
        return spec

    def model(self, folder):
        """Write the weights (if any) under `folder` and return an opencoreml MLModel."""
        from opencoreml.libmilstoragepython import _BlobStorageWriter

        weights = os.path.join(str(folder), "weights")
        os.makedirs(weights, exist_ok=True)
        spec = self.spec()
        if self.blobs:
            writer = _BlobStorageWriter(os.path.join(weights, "weight.bin"))
            offsets = []
            for _, arr in self.blobs:
                method = {np.dtype(np.float32): "write_float_data", np.dtype(np.float16): "write_fp16_data",
                          np.dtype(np.int8): "write_int8_data", np.dtype(np.uint8): "write_uint8_data",
                          np.dtype(np.int32): "write_int32_data"}[arr.dtype]
                offsets.append(getattr(writer, method)(arr.reshape(-1)))
            del writer
            # The blob values were written into self.block; patch the copies inside the spec.
            block = spec.mlProgram.functions["main"].block_specializations[self.opset]
            blob_values = [op.attributes["val"] for op in block.operations
                           if op.type == "const" and op.attributes["val"].HasField("blobFileValue")]
            for value, offset in zip(blob_values, offsets):
                value.blobFileValue.offset = offset
        return ct.models.MLModel(spec, weights_dir=weights, compute_units=ct.ComputeUnit.CPU_ONLY)
