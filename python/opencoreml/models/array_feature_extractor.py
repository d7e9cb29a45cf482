"""``create_array_feature_extractor`` (coremltools'
``coremltools.models.array_feature_extractor``): an arrayFeatureExtractor spec picking
elements of an array input by index."""
from .._enums import SPECIFICATION_VERSION as _SPECIFICATION_VERSION
from ..proto import Model_pb2 as _Model_pb2
from . import datatypes
from ._interface_management import set_transform_interface_params


def create_array_feature_extractor(input_features, output_name, extract_indices, output_type=None):
    """Build an extractor of ``extract_indices`` from the one ``(name, Array)`` feature in
    ``input_features``. One integer index gives a ``Double`` output by default (``Int64`` may
    be asked for through ``output_type``); a list of indices gives an ``Array`` of that many
    elements."""
    assert len(input_features) == 1
    assert isinstance(input_features[0][1], datatypes.Array)

    spec = _Model_pb2.Model()
    spec.specificationVersion = _SPECIFICATION_VERSION

    if isinstance(extract_indices, int):
        extract_indices = [extract_indices]
        if output_type is None:
            output_type = datatypes.Double()
    elif isinstance(extract_indices, (list, tuple)):
        if not all(isinstance(i, int) for i in extract_indices):
            raise TypeError("extract_indices must be an integer or a list of integers.")
        if output_type is None:
            output_type = datatypes.Array(len(extract_indices))
    else:
        raise TypeError("extract_indices must be an integer or a list of integers.")

    for index in extract_indices:
        assert index < input_features[0][1].num_elements
        spec.arrayFeatureExtractor.extractIndex.append(index)

    set_transform_interface_params(spec, input_features, [(output_name, output_type)])
    return spec
