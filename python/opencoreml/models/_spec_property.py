"""Properties that read and write one field of a wrapped Model spec."""


def spec_field_property(spec_attr, path):
    """A read-write property over the field at the dotted ``path`` (e.g.
    "description.metadata.author") of the spec held in the attribute ``spec_attr``."""
    *parents, field = path.split(".")

    def owner(self):
        message = getattr(self, spec_attr)
        for name in parents:
            message = getattr(message, name)
        return message

    def get(self):
        return getattr(owner(self), field)

    def set(self, value):
        setattr(owner(self), field, value)

    return property(get, set)
