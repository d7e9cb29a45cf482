"""``FeatureDescription``: the dict-like view of a model's inputs or outputs that
``MLModel.input_description`` / ``output_description`` return (descriptions are writable)."""


class FeatureDescription:
    def __init__(self, fd_spec):
        self._fd_spec = fd_spec

    def __repr__(self):
        return "Features(%s)" % ",".join(f.name for f in self._fd_spec)

    def __len__(self):
        return len(self._fd_spec)

    def _find(self, key):
        for f in self._fd_spec:
            if f.name == key:
                return f
        return None

    def __getitem__(self, key):
        f = self._find(key)
        if f is None:
            raise KeyError("No feature with name %s." % key)
        return f.shortDescription

    def __contains__(self, key):
        return self._find(key) is not None

    def __setitem__(self, key, value):
        f = self._find(key)
        if f is None:
            raise AttributeError("No feature with name %s." % key)
        f.shortDescription = value

    def __iter__(self):
        return (f.name for f in self._fd_spec)
