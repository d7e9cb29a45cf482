// opencoreml ML program ops: the fast path of depthwise 2-D convolution (one input channel
// per group, no dilation, square kernels of 3, 5 or 7, stride 1 or 2), the layer that
// dominates MobileNet-style networks. The input plane is copied once into a zero-padded
// buffer, so every output row is a fixed number of multiply-adds per element with no bounds
// tests; the kernel size and stride are compile-time constants, so the compiler unrolls the
// taps and vectorises along the row, and the loop is compiled for AVX2/AVX-512 as well.
#pragma once

#include <cstdint>

#include "mil/ops/conv/window.hpp"

namespace opencoreml::mil {

// Floats of padded-plane buffer depthwise2d_plane needs for window `w` (0 when the fast path
// does not apply, and the general loop must be used).
int64_t depthwise2d_scratch(const Window3& w);

// out (one output plane, pre-filled with its bias) += the depthwise conv of input plane x
// with `weight` (k*k values); `pad` has depthwise2d_scratch(w) floats.
void depthwise2d_plane(const float* x, const float* weight, const Window3& w, float* out, float* pad);

}  // namespace opencoreml::mil
