"""Write one thin ``<Name>_pb2.py`` module per .proto file of a descriptor set.

Each module builds its message classes from ``coreml_format.desc`` in opencoreml's private
descriptor pool (``opencoreml.proto._pool``) with the protobuf runtime that is installed,
and re-exports the modules it imports publicly, as protoc's own Python output does.
Usage: gen_python_protos.py DESCRIPTOR_SET OUT_DIR
"""
import os
import sys

from google.protobuf import descriptor_pb2


def main(desc_path, out_dir):
    fds = descriptor_pb2.FileDescriptorSet()
    with open(desc_path, "rb") as f:
        fds.ParseFromString(f.read())
    for fd in fds.file:
        stem = os.path.splitext(os.path.basename(fd.name))[0]
        lines = [
            '"""Core ML spec classes for %s (generated at build time; do not edit)."""' % fd.name,
            "from opencoreml.proto import _pool",
        ]
        for index in fd.public_dependency:
            dep = os.path.splitext(os.path.basename(fd.dependency[index]))[0]
            lines.append("from opencoreml.proto.%s_pb2 import *  # noqa: F401,F403 (public import)" % dep)
        lines.append("")
        lines.append("DESCRIPTOR = _pool.build_module(%r, globals(), __name__)" % fd.name)
        with open(os.path.join(out_dir, stem + "_pb2.py"), "w") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
