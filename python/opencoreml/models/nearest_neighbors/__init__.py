"""coremltools' ``models.nearest_neighbors``: a builder for k-nearest-neighbours classifier specs."""
from .builder import KNearestNeighborsClassifierBuilder  # noqa: F401
