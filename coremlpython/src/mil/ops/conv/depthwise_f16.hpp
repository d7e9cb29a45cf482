// opencoreml ML program ops: depthwise conv with fp16 input and output, one plane at a time.
// Each input plane is widened into a small float32 buffer, convolved by the same float32
// plane loops as the fp32 path, clamped, and rounded straight into the fp16 output, so the
// whole input and output never exist as full-size float32 copies (for depthwise layers those
// two passes over memory cost more than the convolution itself). Bit-identical to widening
// the whole input, running the fp32 kernel and rounding the whole output.
#pragma once

#include <cstdint>

#include "mil/ops/conv/window.hpp"
#include "mil/ops/linalg/epilogue.hpp"

namespace opencoreml::mil {

class ThreadPool;

struct DepthwiseF16Args {
    int64_t n = 0, c_in = 0, c_out = 0, c_out_g = 0;  // c_out_g: output channels per group (input channel)
    Window3 w;
    const uint16_t* x = nullptr;   // [n, c_in, *w.in] fp16
    const float* weight = nullptr; // [c_out, 1, *w.k] float32
    const float* bias = nullptr;   // [c_out] or null
    Epilogue epilogue;
    uint16_t* out = nullptr;       // [n, c_out, *w.out] fp16
};

void depthwise_f16(const DepthwiseF16Args& a, ThreadPool& pool);

}  // namespace opencoreml::mil
