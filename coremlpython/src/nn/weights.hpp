// opencoreml neural networks: WeightParams as float32 tensors. Every storage form is decoded
// once at load — float32, little-endian float16, and 1-8 bit quantized values (linear with a
// scale/bias per output channel, or a look-up table), packed most significant bit first.
#pragma once

#include <string>

#include "NeuralNetwork.pb.h"
#include "opencoreml/tensor.hpp"

namespace opencoreml::nn {

// Decodes `w` into a float32 tensor of `shape`. Linear quantization scales and biases apply
// along `channel_axis` (the output-channel axis of the weight; 0 except for deconvolution).
// Throws Error(InvalidModel) naming `what` (e.g. "layer 'fc1' weights") when the stored
// count does not match the shape or the encoding is malformed.
Tensor load_weights(const CoreML::Specification::WeightParams& w, const Shape& shape, const std::string& what,
                    int channel_axis = 0);

}  // namespace opencoreml::nn
