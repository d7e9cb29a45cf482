"""Normalisation of the feature lists that model builders accept.

The builders take input and output features in several loose forms (names, name -> index
mappings, ``(name, datatype)`` pairs); the functions here turn them into the canonical
list of ``(name, datatype)`` tuples, validating them on the way.
"""
from collections import defaultdict
from copy import copy
from itertools import chain

import numpy as _np

from . import datatypes

_INT_LABEL_TYPES = (int, _np.integer, _np.bool_)


def process_or_validate_classifier_output_features(
    output_features, class_labels, supports_class_scores=True
):
    """Return the canonical output features of a classifier with ``class_labels``.

    The label feature type is ``Int64`` when every label is an integer and ``String``
    when every label is a string. ``output_features`` may be ``None`` (defaults
    ``classLabel`` / ``classProbability``), a single name for the label output, two names
    (label, scores), or a list of ``(name, datatype)`` tuples, which is checked against the
    label type; a scores dictionary given first is moved second. Extra features after the
    first two are allowed.
    """

    def fail(msg):
        raise ValueError("Classifier error: %s" % msg)

    class_labels = list(class_labels)
    if all(isinstance(c, _INT_LABEL_TYPES) for c in class_labels):
        label_type = datatypes.Int64()
    elif all(isinstance(c, str) for c in class_labels):
        label_type = datatypes.String()
    else:
        raise ValueError("Class labels must be all of type int or all of type string.")

    if output_features is None or isinstance(output_features, str):
        label_name = "classLabel" if output_features is None else output_features
        out = [(label_name, label_type)]
        if supports_class_scores:
            out.append(("classProbability", datatypes.Dictionary(label_type)))
        return out

    if (
        isinstance(output_features, (list, tuple))
        and len(output_features) == 2
        and all(isinstance(name, str) for name in output_features)
    ):
        if not supports_class_scores:
            raise ValueError(
                "Classifier model (as trained) does not support output scores for classes."
            )
        return [
            (output_features[0], label_type),
            (output_features[1], datatypes.Dictionary(label_type)),
        ]

    if not is_valid_feature_list(output_features):
        fail("Form of output features not recognized")

    out = [(name, datatypes._normalize_datatype(dt)) for name, dt in output_features]

    if len(out) == 1 or not supports_class_scores:
        if out[0][1] != label_type:
            raise ValueError(
                "Type of output class feature does not match type of class labels."
            )
        return out

    if isinstance(out[0][1], datatypes.Dictionary) and out[1][1] == label_type:
        out[0], out[1] = out[1], out[0]
    if not isinstance(out[1][1], datatypes.Dictionary):
        fail("Output features class scores should be dictionary type.")
    if out[1][1].key_type != label_type:
        fail("Class scores dictionary key type does not match type of class labels.")
    if out[0][1] != label_type:
        fail("Specified type of output class does not match type of class labels.")
    return out


def is_valid_feature_list(features):
    """True if ``features`` is a non-empty list of ``(str name, datatype)`` tuples."""
    return (
        type(features) is list
        and len(features) >= 1
        and all(type(t) is tuple and len(t) == 2 for t in features)
        and all(isinstance(name, str) for name, _ in features)
        and all(datatypes._is_valid_datatype(dt) for _, dt in features)
    )


def dimension_of_array_features(features):
    """Total number of scalar values in a feature list of ``Int64``/``Double``/``Array``."""
    if not is_valid_feature_list(features):
        raise ValueError("Expected feature list in valid form.")

    total = 0
    for _, dt in features:
        if isinstance(dt, (datatypes.Int64, datatypes.Double)):
            total += 1
        elif isinstance(dt, datatypes.Array):
            total += int(_np.prod(dt.dimensions))
        else:
            raise ValueError("Unable to determine number of dimensions from feature list.")
    return total


def process_or_validate_features(features, num_dimensions=None, feature_type_map={}):
    """Return ``features`` as a list of ``(name, datatype)`` tuples.

    Accepted forms:

    * a feature list ``[(name, datatype), ...]`` (or a dict ``{name: datatype}``), checked
      against ``num_dimensions`` when given and returned with shorthand datatypes
      (``str``, ``int``, ``float``, ...) replaced by instances;
    * a list of names, one per column: repeated adjacent names form an array, so
      ``["a", "a", "b"]`` gives ``[("a", Array(2)), ("b", Double())]``;
    * a dict from name to a column index or a contiguous collection of indices, e.g.
      ``{"a": 0, "b": [2, 3], "c": 1}`` gives ``[("a", Double()), ("c", Double()),
      ("b", Array(2))]`` (ordered by first index);
    * a single name, an array of ``num_dimensions`` columns (a ``Double`` when that is 1).

    Together the indices must cover ``0 .. num_dimensions - 1`` exactly once.
    ``feature_type_map`` overrides the datatype chosen for the named features.
    """
    original_features = copy(features)

    if num_dimensions is not None and not isinstance(num_dimensions, int):
        raise TypeError(
            "num_dimensions must be None, an integer or a long, not '%s'"
            % str(type(num_dimensions))
        )

    def fail(msg):
        raise TypeError(
            "Error processing feature list: %s\nfeatures = %s"
            % (msg, str(original_features))
        )

    if type(features) is dict and is_valid_feature_list(list(features.items())):
        features = list(features.items())

    if is_valid_feature_list(features):
        if num_dimensions is not None:
            try:
                found = dimension_of_array_features(features)
            except ValueError:
                found = None  # strings or dictionaries: nothing to check
            if found is not None and found != num_dimensions:
                fail("Dimension mismatch.")
        return [(name, datatypes._normalize_datatype(dt)) for name, dt in features]

    if isinstance(features, str):
        if num_dimensions is None:
            fail("If a single feature name is given, then num_dimensions must be provided.")
        features = {features: range(num_dimensions)}

    if isinstance(features, (list, tuple, _np.ndarray)):
        if not all(isinstance(name, str) for name in features):
            fail(
                "List of feature names must either be a list of strings, or a list of "
                "(name, datatypes.Array instance) tuples."
            )
        if num_dimensions is not None and len(features) != num_dimensions:
            fail(
                "List of feature names has wrong length; %d required, %d provided."
                % (num_dimensions, len(features))
            )
        columns = defaultdict(list)
        for index, name in enumerate(features):
            columns[name].append(index)
        features = columns

    if not isinstance(features, dict):
        fail(
            "features must be either a list of feature names or a dictionary of feature "
            "names to ranges."
        )

    columns = {}
    for name, where in features.items():
        if not isinstance(name, str):
            fail("Feature names must be strings.")

        if isinstance(where, (tuple, list, set, range)):
            indices = list(where)
        elif isinstance(where, (int, _np.integer)):
            indices = [where]
        else:
            fail(
                "Value type for feature %s not recognized; values must be either "
                "integers, lists or range objects." % name
            )

        for idx in indices:
            try:
                is_int = idx == int(idx)
            except (TypeError, ValueError):
                is_int = False
            if not is_int:
                fail("Specified indices for feature %s must be integers." % name)
            if idx < 0 or (num_dimensions is not None and idx >= num_dimensions):
                fail("Index in feature %s out of range." % name)

        indices = sorted(indices)
        if not indices or indices != list(range(indices[0], indices[-1] + 1)):
            fail(
                "Index list for feature %s must consist of a contiguous range of indices."
                % name
            )
        columns[name] = indices

    if num_dimensions is None:
        num_dimensions = 1 + max(chain.from_iterable(columns.values()), default=-1)

    covered = set(chain.from_iterable(columns.values()))
    if covered != set(range(num_dimensions)) or sum(
        len(v) for v in columns.values()
    ) != num_dimensions:
        fail("Supplied indices must cover entire range of 0, ..., num_dimensions-1.")

    result = []
    for name, indices in sorted(columns.items(), key=lambda item: item[1][0]):
        if name in feature_type_map:
            result.append((name, feature_type_map[name]))
        elif len(indices) == 1:
            result.append((name, datatypes.Double()))
        else:
            result.append((name, datatypes.Array(len(indices))))
    return result
