// opencoreml ML program ops: pointwise (1x1, stride 1, unpadded) conv with fp16 input and
// output, in column panels. For each panel of output positions the input columns are widened
// into a float32 panel, multiplied by the float32 weights (one single-threaded GEMM per
// panel, bias pre-filled), clamped and rounded straight into the fp16 output. The panels fit
// in cache, so the whole input and output never exist as full-size float32 copies; panels
// are the unit of parallel work.
#pragma once

#include <cstdint>

#include "mil/ops/linalg/epilogue.hpp"

namespace opencoreml::mil {

class ThreadPool;

struct PointwiseF16Args {
    int64_t n = 0, groups = 1, c_in_g = 0, c_out_g = 0;
    int64_t positions = 0;          // spatial size (input and output)
    const uint16_t* x = nullptr;    // [n, groups * c_in_g, positions] fp16
    const float* weight = nullptr;  // [groups * c_out_g, c_in_g] float32
    const float* bias = nullptr;    // [groups * c_out_g] or null
    Epilogue epilogue;
    uint16_t* out = nullptr;        // [n, groups * c_out_g, positions] fp16
};

void pointwise_f16(const PointwiseF16Args& a, ThreadPool& pool);

}  // namespace opencoreml::mil
