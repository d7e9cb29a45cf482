"""Private descriptor pool holding the Core ML specification.

coremltools registers files with the same names (``Model.proto`` ...) in protobuf's default
pool; keeping ours in a pool of our own lets both packages be imported in one process. Specs
move between the two as serialized bytes.
"""
import os

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.internal import builder

_DESCRIPTOR_SET = os.path.join(os.path.dirname(__file__), "coreml_format.desc")


def _make_pool():
    files = descriptor_pb2.FileDescriptorSet()
    with open(_DESCRIPTOR_SET, "rb") as f:
        files.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in files.file:  # protoc writes dependencies before their users
        pool.Add(fd)
    return pool


POOL = _make_pool()


def build_module(proto_file, module_globals, module_name):
    """Define the messages and enums of ``proto_file`` as attributes of a *_pb2 module."""
    fd = POOL.FindFileByName(proto_file)
    builder.BuildMessageAndEnumDescriptors(fd, module_globals)
    builder.BuildTopDescriptorsAndMessages(fd, module_name, module_globals)
    return fd
