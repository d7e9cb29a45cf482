// opencoreml ML program ops: statistics of one contiguous float32 run (sum, sum of squared
// deviations, maximum) for the normalisation and softmax kernels. Independent accumulator
// lanes break the serial dependency, so the compiler vectorises them without reassociating
// (-ffast-math) anything; sums accumulate in double.
#pragma once

#include <cstdint>
#include <limits>

namespace opencoreml::mil {

constexpr int kStatLanes = 8;

inline double row_sum(const float* x, int64_t n) {
    double lanes[kStatLanes] = {};
    int64_t k = 0;
    for (; k + kStatLanes <= n; k += kStatLanes)
        for (int l = 0; l < kStatLanes; ++l) lanes[l] += x[k + l];
    for (; k < n; ++k) lanes[0] += x[k];
    double s = 0.0;
    for (double l : lanes) s += l;
    return s;
}

// sum((x - mean)^2)
inline double row_sq_dev(const float* x, int64_t n, double mean) {
    double lanes[kStatLanes] = {};
    int64_t k = 0;
    for (; k + kStatLanes <= n; k += kStatLanes)
        for (int l = 0; l < kStatLanes; ++l) {
            const double d = x[k + l] - mean;
            lanes[l] += d * d;
        }
    for (; k < n; ++k) lanes[0] += (x[k] - mean) * (x[k] - mean);
    double s = 0.0;
    for (double l : lanes) s += l;
    return s;
}

// sum(x^2)
inline double row_sum_squares(const float* x, int64_t n) { return row_sq_dev(x, n, 0.0); }

// Maximum; NaN if any element is NaN.
inline float row_max(const float* x, int64_t n) {
    float lanes[kStatLanes];
    for (float& l : lanes) l = -std::numeric_limits<float>::infinity();
    int64_t k = 0;
    for (; k + kStatLanes <= n; k += kStatLanes)
        for (int l = 0; l < kStatLanes; ++l) lanes[l] = (x[k + l] > lanes[l] || x[k + l] != x[k + l]) ? x[k + l] : lanes[l];
    for (; k < n; ++k) lanes[0] = (x[k] > lanes[0] || x[k] != x[k]) ? x[k] : lanes[0];
    float m = lanes[0];
    for (float l : lanes) m = (l > m || l != l) ? l : m;
    return m;
}

}  // namespace opencoreml::mil
