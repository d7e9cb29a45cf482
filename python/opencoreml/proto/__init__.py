"""The Core ML model specification as Python protobuf classes (``Model_pb2``, ``MIL_pb2``,
``FeatureTypes_pb2``, ...), generated at build time from ``mlmodel/format``."""
