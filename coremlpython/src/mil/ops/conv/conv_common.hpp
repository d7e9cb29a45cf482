// opencoreml ML program ops: load-time checks and output set-up shared by conv and
// conv_transpose (dtypes, spatial rank, groups, bias pre-fill).
#pragma once

#include <cstdint>
#include <initializer_list>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

// Fails unless every present input among `params` is fp16 or fp32.
void require_float_inputs(const BuildContext& ctx, std::initializer_list<const char*> params);

// Spatial dims (1 to 3) from the weight's rank, else x's.
size_t conv_spatial_dims(const BuildContext& ctx);

// The groups parameter (>= 1).
int64_t conv_groups(const BuildContext& ctx);

// out[n, c, :] = bias[c] (or 0 without a bias) for an [n, channels, plane] output.
void fill_channels(float* out, int64_t n, int64_t channels, int64_t plane, const float* bias);

// The run-time shape checks common to both: x is [N, C, *spatial] with `dims` spatial dims.
void check_conv_input(const RunContext& ctx, const Shape& xs, size_t dims);

}  // namespace opencoreml::mil
