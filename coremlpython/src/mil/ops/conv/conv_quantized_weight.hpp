// opencoreml ML program ops: the weights of conv_quantized (iOS15, experimental in
// coremltools), dequantized to float32 once at load. The op carries uint8 codes of `nbits`
// bits (1-8, default 8) in `weight` and a `quantization_type`:
//   "linear": w = code * quant_scale + quant_bias, scale and bias one value or one per
//             output channel (the NeuralNetwork QuantizationParams rule);
//   "lut":    w = quant_scale[code], quant_scale holding the 2^nbits table entries (the op
//             has no separate table input; quant_bias is unused).
#pragma once

#include "mil/op_api.hpp"

namespace opencoreml::mil {

Tensor dequantize_conv_weight(const BuildContext& ctx);

}  // namespace opencoreml::mil
