// opencoreml ML program ops: fast depthwise 2-D convolution planes (see depthwise2d.hpp).
#include "mil/ops/conv/depthwise2d.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/target_clones.hpp"

namespace opencoreml::mil {
namespace {

struct Padded {
    int64_t rows, cols;  // of the zero-padded plane actually read
};

Padded padded_size(const Window3& w) {
    return {(w.out[1] - 1) * w.s[1] + w.k[1], (w.out[2] - 1) * w.s[2] + w.k[2]};
}

// Copies plane x into pad, shifted by the padding before it and clipped to what is read.
// For stride 2 each padded row is stored de-interleaved, its even columns then its odd ones,
// so every tap of the row loop reads consecutive floats (vectorisable) instead of every other.
void fill_padded(const float* x, const Window3& w, Padded p, int64_t stride, float* pad, float* row_buf) {
    const int64_t even = (p.cols + 1) / 2;
    for (int64_t r = 0; r < p.rows; ++r) {
        float* dst = stride == 2 ? row_buf : pad + r * p.cols;
        const int64_t ih = r - w.before[1];
        if (ih < 0 || ih >= w.in[1]) {
            std::fill(pad + r * p.cols, pad + (r + 1) * p.cols, 0.0f);
            continue;
        }
        const int64_t c0 = std::clamp<int64_t>(w.before[2], 0, p.cols);
        const int64_t first = std::max<int64_t>(0, -w.before[2]);  // input column at c0
        const int64_t n = std::clamp<int64_t>(std::min(w.in[2] - first, p.cols - c0), 0, p.cols - c0);
        std::fill(dst, dst + c0, 0.0f);
        std::memcpy(dst + c0, x + ih * w.in[2] + first, static_cast<size_t>(n) * sizeof(float));
        std::fill(dst + c0 + n, dst + p.cols, 0.0f);
        if (stride == 2) {
            float* out = pad + r * p.cols;
            for (int64_t c = 0; c < even; ++c) out[c] = row_buf[2 * c];
            for (int64_t c = 0; c < p.cols / 2; ++c) out[even + c] = row_buf[2 * c + 1];
        }
    }
}

// Eight output columns at a time in a GCC/Clang vector (one AVX register, two SSE ones):
// written out because the compiler does not vectorise the tap loops nested in the row loop.
typedef float Vec8 __attribute__((vector_size(32)));

inline __attribute__((always_inline)) Vec8 load8(const float* p) {
    Vec8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Column of tap kw for output column ow: stride-2 rows are de-interleaved (fill_padded), so
// column 2 * ow + kw is at ow + kw / 2 of the even half (even kw) or of the odd half at `odd`.
template <int S>
inline __attribute__((always_inline)) const float* tap(const float* row, int64_t odd, int64_t ow, int kw) {
    if (S == 1) return row + ow + kw;
    return (kw % 2 == 0 ? row : row + odd) + ow + kw / 2;
}

// out[ow] += sum over the K x K taps of weight * row[kh][ow * S + kw], for one output row, the
// taps added in the same order in the vector body and the scalar tail.
template <int K, int S>
inline __attribute__((always_inline)) void row_kernel(const float* rows, int64_t cols, int64_t odd, const float* weight,
                                                      float* out, int64_t width) {
    int64_t ow = 0;
    for (; ow + 8 <= width; ow += 8) {
        Vec8 acc = load8(out + ow);
        for (int kh = 0; kh < K; ++kh)
            for (int kw = 0; kw < K; ++kw) acc += weight[kh * K + kw] * load8(tap<S>(rows + kh * cols, odd, ow, kw));
        std::memcpy(out + ow, &acc, sizeof acc);
    }
    for (; ow < width; ++ow) {
        float acc = out[ow];
        for (int kh = 0; kh < K; ++kh)
            for (int kw = 0; kw < K; ++kw) acc += weight[kh * K + kw] * *tap<S>(rows + kh * cols, odd, ow, kw);
        out[ow] = acc;
    }
}

template <int K, int S>
OCML_TARGET_CLONES void plane_kernel(const float* pad, int64_t cols, const float* weight, float* out, int64_t height,
                                 int64_t width) {
    const int64_t odd = (cols + 1) / 2;
    for (int64_t oh = 0; oh < height; ++oh)
        row_kernel<K, S>(pad + oh * S * cols, cols, odd, weight, out + oh * width, width);
}

using PlaneFn = void (*)(const float*, int64_t, const float*, float*, int64_t, int64_t);

PlaneFn plane_fn(const Window3& w) {
    if (w.k[0] != 1 || w.out[0] != 1 || w.k[1] != w.k[2] || w.s[1] != w.s[2] || w.d[1] != 1 || w.d[2] != 1)
        return nullptr;
    if (w.before[1] < 0 || w.before[2] < 0) return nullptr;
    const int64_t k = w.k[1], s = w.s[1];
    if (s == 1) {
        if (k == 3) return plane_kernel<3, 1>;
        if (k == 5) return plane_kernel<5, 1>;
        if (k == 7) return plane_kernel<7, 1>;
    } else if (s == 2) {
        if (k == 3) return plane_kernel<3, 2>;
        if (k == 5) return plane_kernel<5, 2>;
        if (k == 7) return plane_kernel<7, 2>;
    }
    return nullptr;
}

}  // namespace

int64_t depthwise2d_scratch(const Window3& w) {
    if (!plane_fn(w) || w.out_size() == 0) return 0;
    const Padded p = padded_size(w);
    return p.rows * p.cols + p.cols;  // the plane and one row of staging for stride 2
}

void depthwise2d_plane(const float* x, const float* weight, const Window3& w, float* out, float* pad) {
    const Padded p = padded_size(w);
    fill_padded(x, w, p, w.s[2], pad, pad + p.rows * p.cols);
    plane_fn(w)(pad, p.cols, weight, out, w.out[1], w.out[2]);
}

}  // namespace opencoreml::mil
