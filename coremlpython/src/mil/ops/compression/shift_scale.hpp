// opencoreml ML program compression ops: affine (de)quantization arithmetic shared by
// constexpr_affine_dequantize, dequantize, quantize and the iOS18 block-wise shift-scale ops.
#pragma once

#include "opencoreml/tensor.hpp"

namespace opencoreml::mil::compression {

// out = scale * (data - offset), elementwise over `data` with scale/offset (nullable) of
// `param_shape` broadcast block-wise (see block_runs.hpp). Any numeric dtypes; float32 result.
void shift_scale(const Tensor& data, const Tensor& scale, const Tensor* offset, const Shape& param_shape, float* out);

}  // namespace opencoreml::mil::compression
