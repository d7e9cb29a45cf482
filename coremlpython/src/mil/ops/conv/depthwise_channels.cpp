// opencoreml ML program ops: channel-vectorised depthwise convolution (see depthwise_channels.hpp).
#include "mil/ops/conv/depthwise_channels.hpp"

#include <cstring>

#include "kernels/target_clones.hpp"

namespace opencoreml::mil {
namespace {

typedef float Lanes __attribute__((vector_size(kDepthwiseLanes * sizeof(float))));

// Planes at most this wide go through this path; wider ones vectorise along their rows.
constexpr int64_t kMaxWidth = 12;

struct Geometry {
    int64_t rows, cols;  // of the zero-padded input region actually read
};

Geometry geometry(const Window3& w) {
    return {(w.out[1] - 1) * w.s[1] + (w.k[1] - 1) * w.d[1] + 1, (w.out[2] - 1) * w.s[2] + (w.k[2] - 1) * w.d[2] + 1};
}

OCML_TARGET_CLONES void block(const float* x, const float* weight, const Window3& w, float* out, int64_t c0, float* scratch) {
    const Geometry g = geometry(w);
    const int64_t in_plane = w.in[1] * w.in[2], out_plane = w.out[1] * w.out[2], taps = w.k[1] * w.k[2];
    Lanes* in = reinterpret_cast<Lanes*>(scratch);  // [g.rows * g.cols] positions, zero padded
    Lanes* acc = in + g.rows * g.cols;              // [out_plane] positions
    Lanes* wt = acc + out_plane;                    // [taps]
    for (int64_t r = 0; r < g.rows; ++r) {
        const int64_t ih = r - w.before[1];
        for (int64_t c = 0; c < g.cols; ++c) {
            const int64_t iw = c - w.before[2];
            Lanes v = {};
            if (ih >= 0 && ih < w.in[1] && iw >= 0 && iw < w.in[2])
                for (int64_t j = 0; j < kDepthwiseLanes; ++j) v[j] = x[(c0 + j) * in_plane + ih * w.in[2] + iw];
            in[r * g.cols + c] = v;
        }
    }
    for (int64_t t = 0; t < taps; ++t)
        for (int64_t j = 0; j < kDepthwiseLanes; ++j) wt[t][j] = weight[(c0 + j) * taps + t];
    for (int64_t p = 0; p < out_plane; ++p)
        for (int64_t j = 0; j < kDepthwiseLanes; ++j) acc[p][j] = out[(c0 + j) * out_plane + p];
    // The bias first, then the taps in row-major order: the per-plane loops' summation order.
    for (int64_t oh = 0; oh < w.out[1]; ++oh) {
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
            Lanes a = acc[oh * w.out[2] + ow];
            for (int64_t kh = 0; kh < w.k[1]; ++kh) {
                const Lanes* row = in + (oh * w.s[1] + kh * w.d[1]) * g.cols + ow * w.s[2];
                for (int64_t kw = 0; kw < w.k[2]; ++kw) a += wt[kh * w.k[2] + kw] * row[kw * w.d[2]];
            }
            acc[oh * w.out[2] + ow] = a;
        }
    }
    for (int64_t j = 0; j < kDepthwiseLanes; ++j)
        for (int64_t p = 0; p < out_plane; ++p) out[(c0 + j) * out_plane + p] = acc[p][j];
}

}  // namespace

int64_t depthwise_channels_scratch(const Window3& w) {
    if (w.k[0] != 1 || w.out[0] != 1 || w.out[2] > kMaxWidth || w.out_size() == 0) return 0;
    if (w.before[1] < 0 || w.before[2] < 0) return 0;
    const Geometry g = geometry(w);
    // Lanes for the padded input, the accumulators and the transposed weights, plus slack to
    // align the first vector.
    return (g.rows * g.cols + w.out_size() + w.k[1] * w.k[2]) * kDepthwiseLanes + kDepthwiseLanes;
}

void depthwise_channels8(const float* x, const float* weight, const Window3& w, float* out, int64_t c0, float* scratch) {
    // Vector loads and stores want their natural alignment: round the scratch pointer up.
    const auto address = reinterpret_cast<uintptr_t>(scratch);
    const uintptr_t align = sizeof(Lanes);
    float* aligned = reinterpret_cast<float*>((address + align - 1) / align * align);
    block(x, weight, w, out, c0, aligned);
}

}  // namespace opencoreml::mil
