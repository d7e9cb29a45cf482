// opencoreml ML program ops: the float32 data-movement and direct loops behind conv and
// conv_transpose, over geometry normalised to three spatial dims (window.hpp). Loops run
// along contiguous output rows with the in-bounds range of each kernel tap computed up front,
// so padding costs no per-element test and stride-1 rows vectorise.
#pragma once

#include <cstdint>
#include <cstring>

#include "mil/ops/conv/window.hpp"

namespace opencoreml::mil {

class ThreadPool;

// dst[0, n) = src[0, n) for short runs (a few to a few dozen floats): inline, where a library
// memcpy call would cost more than the copy.
inline void copy_floats(float* dst, const float* src, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) std::memcpy(dst + i, src + i, 4 * sizeof(float));
    if (n - i >= 2) std::memcpy(dst + i, src + i, 2 * sizeof(float)), i += 2;
    if (i < n) dst[i] = src[i];
}

// col[(c * taps + tap) * out_size + o] = input value under kernel tap `tap` for output o of
// channel c (0 in padding): the [channels * taps, out_size] right-hand side of conv's GEMM.
void im2col(const float* x, int64_t channels, const Window3& w, float* col, ThreadPool* pool);

// out (one output plane, pre-filled with its bias) += the window of one input plane x
// weighted by `weight` (w.taps() values): a depthwise conv needs no im2col.
void depthwise_plane(const float* x, const float* weight, const Window3& w, float* out);

// The inverse of im2col for conv_transpose: out[c] += every column value at the output
// position its input position and tap map to (w.in = input sizes, w.out = output sizes,
// w.before = crop at the start of the full result).
void col2im_add(const float* col, int64_t channels, const Window3& w, float* out, ThreadPool* pool);

}  // namespace opencoreml::mil
