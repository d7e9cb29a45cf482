"""``create_feature_vectorizer`` (coremltools' ``coremltools.models.feature_vectorizer``): a
featureVectorizer spec that lays its input features end to end in one array."""
from .._enums import SPECIFICATION_VERSION as _SPECIFICATION_VERSION
from ..proto import Model_pb2 as _Model_pb2
from . import datatypes
from ._feature_management import is_valid_feature_list, process_or_validate_features
from ._interface_management import set_transform_interface_params


def create_feature_vectorizer(input_features, output_feature_name, known_size_map={}):
    """Build a feature vectorizer over ``input_features`` (``(name, datatype)`` tuples of
    ``Int64``, ``Double``, ``Array`` or int-keyed ``Dictionary``). Returns
    ``(spec, num_dimensions)``, the output array having ``num_dimensions`` elements.

    ``known_size_map`` gives the size a feature takes in the output when its datatype does
    not say (dictionaries, sparse index -> value, need it); for other features it must agree
    with the datatype. ``output_feature_name`` is a name, or a one-feature list whose
    datatype is ``Array(num_dimensions)``.
    """
    spec = _Model_pb2.Model()
    spec.specificationVersion = _SPECIFICATION_VERSION
    input_features = process_or_validate_features(input_features)
    vectorizer = spec.featureVectorizer

    total = 0
    for name, datatype in input_features:
        if name in known_size_map:
            size = known_size_map[name]
            if datatype.num_elements is not None and size != datatype.num_elements:
                raise ValueError(
                    "In feature {}, override size {} not compatible with inherent value size {}.".format(
                        name, size, datatype.num_elements
                    )
                )
        elif datatype.num_elements is None:
            raise ValueError("In feature {}, inherent size unknown so must be manually supplied.".format(name))
        else:
            size = datatype.num_elements
        total += size
        column = vectorizer.inputList.add()
        column.inputColumn = name
        column.inputDimensions = size

    if not isinstance(output_feature_name, str):
        if (
            is_valid_feature_list(output_feature_name)
            and len(output_feature_name) == 1
            and output_feature_name[0][1] == datatypes.Array(total)
        ):
            output_feature_name = output_feature_name[0][0]
        else:
            raise TypeError("Output feature must be specified as a feature name or correct output feature list.")

    set_transform_interface_params(spec, input_features, [(output_feature_name, datatypes.Array(total))])
    return spec, total
