// opencoreml ML program ops: reading and writing runs of floating-point tensor elements as
// float32, whatever the tensor's float type (fp32, fp16, bf16, fp64). Kernels that compute in
// float32 use these on small stack blocks so an fp16 op needs no full-size fp32 copies:
// load a block, compute, store (rounding to the output's type at the op boundary).
#pragma once

#include <cstdint>

#include "opencoreml/tensor.hpp"

namespace opencoreml::mil {

// Elements per stack block: small enough for L1, large enough to amortise the calls.
constexpr int64_t kFloatBlock = 1024;

// Float16, BFloat16, Float32 or Float64.
bool is_float_type(DType dtype);

// dst[0..n) = elements [offset, offset + n) of `base` (a tensor of `dtype`) as float32.
void load_f32(DType dtype, const void* base, int64_t offset, int64_t n, float* dst);
// Elements [offset, offset + n) of `base` = src[0..n) rounded to `dtype` (nearest even).
void store_f32(DType dtype, void* base, int64_t offset, int64_t n, const float* src);

}  // namespace opencoreml::mil
