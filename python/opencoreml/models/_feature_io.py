"""Python-side conversion of predict() inputs and outputs around the native core: PIL images
to pixel arrays (with coremltools' mode checks), torch/TF tensors and lists to numpy, and
image outputs back to PIL images."""
import numpy as np

from .. import _core

# PIL modes coremltools requires for each declared colour space.
_IMAGE_MODES = {"GRAYSCALE": ("L",), "RGB": ("RGB", "RGBA"), "BGR": ("RGB", "RGBA"), "GRAYSCALE_FLOAT16": ("F",)}


def _is_pil_image(value):
    try:
        from PIL import Image
    except ImportError:  # pillow is optional: without it nobody can pass an image
        return False
    return isinstance(value, Image.Image)


def _color_space_name(feature_type):
    image = feature_type.imageType
    return image.ColorSpace.Name(image.colorSpace)


def _to_numpy(value):
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # torch.Tensor
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy"):  # tf.Tensor
        return value.numpy()
    return np.asarray(value)


def prepare_inputs(data, features):
    """Convert one input dict for the core. ``features`` maps input name -> FeatureType."""
    out = {}
    for name, value in data.items():
        feature_type = features.get(name)
        kind = feature_type.WhichOneof("Type") if feature_type is not None else None
        if kind == "imageType":
            if not _is_pil_image(value):
                raise TypeError("Image input '%s' must be a PIL.Image, got %s" % (name, type(value).__name__))
            color_space = _color_space_name(feature_type)
            if value.mode not in _IMAGE_MODES.get(color_space, ()):
                raise TypeError(
                    "Image input '%s' has PIL mode %r; the model's %s color space needs mode %s"
                    % (name, value.mode, color_space, " or ".join(repr(m) for m in _IMAGE_MODES[color_space]))
                )
            out[name] = _core.ImageData(np.ascontiguousarray(np.asarray(value)))
        elif kind == "multiArrayType" and not isinstance(value, np.ndarray):
            out[name] = _to_numpy(value)
        else:
            out[name] = value
    return out


def convert_outputs(outputs):
    """Image outputs become PIL images (RGB as 'RGBA' like coremltools, grayscale 'L', float 'F')."""
    for name, value in outputs.items():
        if isinstance(value, _core.ImageData):
            from PIL import Image

            pixels = np.asarray(value.pixels)
            if pixels.dtype == np.float32:
                outputs[name] = Image.fromarray(pixels, mode="F")
            elif pixels.ndim == 3 and pixels.shape[2] == 1:
                outputs[name] = Image.fromarray(pixels[:, :, 0], mode="L")
            else:
                rgb = pixels[:, :, :3]
                alpha = np.full(rgb.shape[:2] + (1,), 255, np.uint8)
                outputs[name] = Image.fromarray(np.concatenate([rgb, alpha], axis=2), mode="RGBA")
    return outputs
