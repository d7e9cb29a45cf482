// opencoreml ML program ops: narrowing a double accumulator to the float32 a kernel writes.
//
// Kernels write float32 and F32Output rounds it to the declared dtype, so a double result
// bound for an fp16 output is rounded twice (double -> fp32 -> fp16). Rounded to nearest both
// times, a value just above an fp16 tie can land exactly on the tie in fp32 and then round to
// even, the wrong way: the fp16 sum of [1, 2^-11, 2^-24] came out 1.0 instead of 1.000977.
// Rounding the first step to odd (truncate toward zero, then set the lowest mantissa bit when
// anything was dropped) keeps that information: since float32 has 24 >= 11 + 2 significant
// bits, round-to-odd to fp32 followed by round-to-nearest-even to fp16 gives exactly the fp16
// value nearest the double (Boldo & Melquiond, "When double rounding is odd", 2005). This
// holds through fp16 subnormals (fp32 is still 24-bit precise there) and overflow (a double
// beyond FLT_MAX becomes FLT_MAX, odd, which fp16 rounds to inf as it would the double).
#pragma once

#include <cstdint>

#include "opencoreml/blob_codec.hpp"

namespace opencoreml::mil {

// double -> float32, rounded to odd (blob::fp64_to_fp32_odd).
inline float round_to_odd_f32(double v) { return blob::fp64_to_fp32_odd(v); }

// How a kernel stores a double result into its float32 buffer: to nearest when the buffer is
// the fp32 output, to odd when it will be rounded again (an fp16 output). Integer results
// pass through.
struct StoreNearest {
    float operator()(double v) const { return static_cast<float>(v); }
    int32_t operator()(int32_t v) const { return v; }
};
struct StoreOdd {
    float operator()(double v) const { return round_to_odd_f32(v); }
    int32_t operator()(int32_t v) const { return v; }
};

}  // namespace opencoreml::mil
