"""coremltools' ``models`` layer: ``MLModel``, spec utilities and datatypes."""
from . import datatypes, utils  # noqa: F401
from .model import MLModel, _MLMODEL_FULL_PRECISION, _MLMODEL_HALF_PRECISION  # noqa: F401
from . import tree_ensemble  # noqa: F401
from . import nearest_neighbors  # noqa: F401
from . import pipeline, feature_vectorizer, array_feature_extractor  # noqa: F401
from . import neural_network  # noqa: F401
