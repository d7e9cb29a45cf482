// opencoreml neural networks: image features in and out of a network. An input image becomes
// the float planes the first layer sees — channels in the model's colour order, with the
// network's preprocessing (channel scale and per-channel bias, mean image) applied in the
// same pass — and an image output is a [.., C, H, W] blob clamped and rounded to 8 bits.
#pragma once

#include <string>
#include <vector>

#include "FeatureTypes.pb.h"
#include "nn/network_translator.hpp"
#include "opencoreml/feature_value.hpp"

namespace opencoreml::nn {

// The preprocessing of one image input: y = scale * x + bias[c] - mean[c, h, w].
struct ImagePreprocessing {
    float scale = 1.0f;
    std::vector<float> bias;  // per channel of the model's colour order; empty = 0
    std::vector<float> mean;  // C * H * W values; empty = none
};

ImagePreprocessing image_preprocessing(const NetworkSpec& net, const std::string& feature,
                                       const CoreML::Specification::ImageFeatureType& type);

// Pixels -> float32 [1, C, H, W] ([1, 1, C, H, W] when `rank5`).
Tensor image_to_input(const ImageValue& image, const CoreML::Specification::ImageFeatureType& type,
                      const ImagePreprocessing& pre, bool rank5, const std::string& where);

// A blob whose last three dims are [C, H, W] -> pixels in the output's colour space.
ImageValue blob_to_image(const Tensor& blob, const CoreML::Specification::ImageFeatureType& type, const std::string& where);

}  // namespace opencoreml::nn
