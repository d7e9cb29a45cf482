"""Comparing a quantized model with its full-precision original on sample data
(``compare_models``): top-k label agreement for classifier outputs and signal-to-noise
ratios for array and image outputs, printed per output."""
import os as _os
import sys as _sys

import numpy as _np


class TopKMetrics:
    """How often the quantized model's top label is among the reference's top ``topk``."""

    def __init__(self, topk):
        self._topk = topk
        self._correct_count = 0
        self._total_count = 0

    def add_metric(self, output1, output2):
        self._total_count += 1
        if self._topk == 1:
            self._correct_count += output1 == output2
            return
        self._topk = min(len(output1), self._topk)
        top1 = sorted(output1, key=output1.get, reverse=True)[: self._topk]
        top2 = sorted(output2, key=output2.get, reverse=True)[: self._topk]
        self._correct_count += top1[0] in top2

    def display_metrics(self):
        percent = _np.round(100.0 * self._correct_count / max(self._total_count, 1), decimals=2)
        if self._topk == 1:
            print("Top 1 Agreement: {}%\n".format(percent))
        else:
            print("Top {} Agreement: {}%\n".format(self._topk, percent))


class NoiseMetrics:
    """Signal-to-noise (and peak SNR) of the quantized output against the reference."""

    def __init__(self):
        self._snr = []
        self._psnr = []

    @staticmethod
    def _compute_snr(arr1, arr2):
        noise = arr1 - arr2
        noise_var = _np.sum(noise ** 2) / len(noise) + 1e-7
        signal_energy = _np.sum(arr2 ** 2) / len(arr2)
        max_signal_energy = _np.amax(arr2 ** 2)
        return 10 * _np.log10(signal_energy / noise_var), 10 * _np.log10(max_signal_energy / noise_var)

    def add_metric(self, output1, output2):
        if hasattr(output1, "convert"):  # a PIL image
            if output1.mode == "RGBA":
                output1, output2 = output1.convert("RGB"), output2.convert("RGB")
        arr1 = _np.asarray(output1, dtype=_np.float64).reshape(-1)
        arr2 = _np.asarray(output2, dtype=_np.float64).reshape(-1)
        snr, psnr = self._compute_snr(arr1, arr2)
        self._snr.append(snr)
        self._psnr.append(psnr)

    def display_metrics(self):
        print("SNR:  {} +/- {}".format(_np.mean(self._snr), _np.var(self._snr)))
        print("PSNR: {} +/- {}\n".format(_np.mean(self._psnr), _np.var(self._psnr)))


class OutputMetric:
    """The metrics suited to one model output, chosen by its feature type."""

    def __init__(self, name, type):
        self.name = name
        if type == "stringType" or type == "int64Type":
            self._metrics = [TopKMetrics(topk=1)]
        elif type == "dictionaryType":
            self._metrics = [TopKMetrics(topk=5)]
        elif type in ("imageType", "multiArrayType"):
            self._metrics = [NoiseMetrics()]
        else:
            raise Exception("Unable to determine which metric to compute for output: {}".format(name))

    def add_metric(self, output1, output2):
        for metric in self._metrics:
            metric.add_metric(output1, output2)

    def display_metrics(self):
        for metric in self._metrics:
            metric.display_metrics()


class ModelMetrics:
    """Metrics for every output of a model."""

    def __init__(self, spec):
        self.model_metrics = {
            output.name: OutputMetric(output.name, output.type.WhichOneof("Type"))
            for output in spec.description.output
        }

    def add_metrics(self, model1_output, model2_output):
        for name in model1_output:
            self.model_metrics[name].add_metric(model1_output[name], model2_output[name])

    def display_metrics(self):
        for name, metric in self.model_metrics.items():
            print("Output {}:".format(name))
            print("-" * (10 + len(name)))
            metric.display_metrics()


def _progress(done, total):
    if done % 10 == 0:
        _sys.stdout.write("\rAnalyzed {}/{}".format(done, total))
        _sys.stdout.flush()


def _compare_on_samples(full_precision_model, quantized_model, samples, make_input):
    metrics = ModelMetrics(quantized_model.get_spec())
    print("\n\nAnalyzing {} samples\nRunning Analysis this may take a while ...\n".format(len(samples)))
    done = 0
    for sample in samples:
        try:
            data = make_input(sample)
            metrics.add_metrics(full_precision_model.predict(data), quantized_model.predict(data))
        except Exception as e:
            print(e)
            continue
        done += 1
        _progress(done, len(samples))
    print("\n")
    metrics.display_metrics()


def compare_models(full_precision_model, quantized_model, sample_data):
    """Run both models on ``sample_data`` and print how closely the quantized model's
    outputs follow the original's: ``sample_data`` is a list of input dicts, or a folder
    of images (jpg, bmp, png, jpeg) for a model with one image input."""
    message = (
        "Invalid sample data provided. Only a list of dictionaries containing sample data or "
        "path to a folder containing images is supported"
    )
    spec = full_precision_model.get_spec()
    if isinstance(sample_data, str):
        inputs = spec.description.input
        if len(inputs) != 1 or inputs[0].type.WhichOneof("Type") != "imageType":
            raise Exception(
                "Unable to analyze quantized models. Sample data was a path to a directory which is only "
                "supported with models with one image type input. Please try passing in a list of sample "
                "inputs as sample data."
            )
        extensions = (".jpg", ".bmp", ".png", ".jpeg")
        paths = sorted(
            _os.path.join(sample_data, f) for f in _os.listdir(sample_data) if f.lower().endswith(extensions)
        )
        if not paths:
            raise Exception(
                "{} contains no supported image files. Supported file types include jpg, bmp, png and jpeg.".format(
                    sample_data
                )
            )
        image = inputs[0].type.imageType
        size = (image.width, image.height)

        def load(path):
            from PIL import Image

            return {inputs[0].name: Image.open(path).resize(size, Image.LANCZOS)}

        _compare_on_samples(full_precision_model, quantized_model, paths, load)
    elif isinstance(sample_data, list):
        if not all(isinstance(d, dict) for d in sample_data):
            raise Exception(message)
        _compare_on_samples(full_precision_model, quantized_model, sample_data, lambda d: d)
    else:
        raise Exception(message)
