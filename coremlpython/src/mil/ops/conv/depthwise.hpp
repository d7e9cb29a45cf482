// opencoreml ML program ops: depthwise conv (one input channel per group, any channel
// multiplier), fp32 or fp16, one output plane at a time. For 1-D and 2-D windows each input
// plane is laid out as phase planes (phase_planes.hpp) in a per-thread buffer, and every
// output row (or, for planes narrower than a vector, the whole plane computed wph columns per
// row) is one kernels::tap_sum: bias, taps and clamp in one pass, written once. 3-D windows
// use the generic loop (conv_loops.hpp). fp16 planes are widened and rounded one at a time,
// so the input and output never exist as full-size float32 copies.
#pragma once

#include <cstdint>

#include "mil/ops/conv/window.hpp"
#include "mil/ops/linalg/epilogue.hpp"

namespace opencoreml::mil {

class ThreadPool;

struct DepthwiseArgs {
    int64_t n = 0, c_in = 0, c_out = 0, c_out_g = 0;  // c_out_g: output channels per input channel
    Window3 w;
    const float* x = nullptr;       // [n, c_in, *w.in], or
    const uint16_t* x16 = nullptr;  // the same in fp16
    const float* weight = nullptr;  // [c_out, 1, *w.k]
    const float* bias = nullptr;    // [c_out] or null
    Epilogue epilogue;
    float* out = nullptr;           // [n, c_out, *w.out], or
    uint16_t* out16 = nullptr;      // the same in fp16
};

void depthwise(const DepthwiseArgs& a, ThreadPool& pool);

}  // namespace opencoreml::mil
