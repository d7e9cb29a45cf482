// opencoreml kernels: the inner loop of depthwise convolutions over phase planes
// (mil/ops/conv/phase_planes.hpp): per output plane, weighted sums of shifted runs of its
// input plane, with bias and clamp, for a batch of planes in one call.
#pragma once

#include <cstdint>

namespace opencoreml::kernels {

// Most taps per plane tap_sum takes (kernels up to 8x8).
constexpr int64_t kTapSumMaxTaps = 64;

// Floats tap_sum may read past the last x[off[t] + j] it uses (callers pad their planes).
constexpr int64_t kTapSumOverread = 16;

struct TapSumPlanes {
    const float* x = nullptr;      // input of output plane o: x + (o / multiplier) * x_stride
    int64_t x_stride = 0, multiplier = 1;
    const int64_t* off = nullptr;  // per tap: offset of its run from the input plane's start
    int64_t taps = 0;
    const float* w = nullptr;      // taps weights per output plane
    const float* bias = nullptr;   // per output plane, or null for 0
    float lo = 0, hi = 0;          // clamp (+-inf: none)
    int64_t planes = 0, rows = 1, n = 0;  // output planes, rows per plane, values per row
    int64_t x_row = 0;             // floats between rows in the input
    float* y = nullptr;            // row r of plane o at y + o * y_stride + r * y_row
    int64_t y_stride = 0, y_row = 0;
    bool y_slack = false;          // y has room for whole vectors past each row's end (a scratch)
};

// even[t] = x[2t], odd[t] = x[2t + 1] for t < n (reads 2n floats): one row of a stride-2
// input split into its two column phases in one pass.
void split_even_odd(const float* x, float* even, float* odd, int64_t n);

// y[o][r][j] = min(max(bias[o] + sum over t of w[o][t] * x_o[off[t] + r * x_row + j], lo), hi),
// the taps added in order t = 0, 1, ...
void tap_sum(const TapSumPlanes& a);

}  // namespace opencoreml::kernels
