// opencoreml ML program ops: im2col, depthwise and col2im loops (see conv_loops.hpp).
#include "mil/ops/conv/conv_loops.hpp"

#include <algorithm>

#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

// dst[t] (t < n) = src[t * stride + offset], zero outside [lo, hi) (where it is in bounds).
inline void gather_row(float* dst, const float* src, int64_t stride, int64_t offset, int64_t lo, int64_t hi, int64_t n) {
    std::fill(dst, dst + lo, 0.0f);
    if (stride == 1) {
        std::copy(src + lo + offset, src + hi + offset, dst + lo);
    } else if (stride == 2) {
        // A constant stride lets the compiler vectorise the gather with shuffles.
        const float* s = src + offset;
        for (int64_t t = lo; t < hi; ++t) dst[t] = s[2 * t];
    } else {
        for (int64_t t = lo; t < hi; ++t) dst[t] = src[t * stride + offset];
    }
    std::fill(dst + hi, dst + n, 0.0f);
}

// dst[t * ds + d_off] += weight * src[t * ss + s_off] for t in [lo, hi).
inline void axpy_row(float* dst, int64_t ds, int64_t d_off, const float* src, int64_t ss, int64_t s_off, float weight,
                     int64_t lo, int64_t hi) {
    if (hi <= lo) return;
    if (ds == 1 && ss == 1) {
        float* d = dst + lo + d_off;
        const float* s = src + lo + s_off;
        for (int64_t t = 0; t < hi - lo; ++t) d[t] += weight * s[t];
    } else {
        for (int64_t t = lo; t < hi; ++t) dst[t * ds + d_off] += weight * src[t * ss + s_off];
    }
}

}  // namespace

void im2col(const float* x, int64_t channels, const Window3& w, float* col, ThreadPool* pool) {
    const int64_t taps = w.taps(), out_size = w.out_size(), in_size = w.in_size();
    auto rows = [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t c = r / taps, tap = r % taps;
            const int64_t kd = tap / (w.k[1] * w.k[2]), kh = tap / w.k[2] % w.k[1], kw = tap % w.k[2];
            const float* plane = x + c * in_size;
            float* dst = col + r * out_size;
            const int64_t off_w = kw * w.d[2] - w.before[2];
            int64_t lo = 0, hi = 0;
            valid_range(w.out[2], w.in[2], w.s[2], off_w, lo, hi);
            for (int64_t od = 0; od < w.out[0]; ++od) {
                const int64_t id = od * w.s[0] - w.before[0] + kd * w.d[0];
                for (int64_t oh = 0; oh < w.out[1]; ++oh, dst += w.out[2]) {
                    const int64_t ih = oh * w.s[1] - w.before[1] + kh * w.d[1];
                    if (id < 0 || id >= w.in[0] || ih < 0 || ih >= w.in[1]) {
                        std::fill(dst, dst + w.out[2], 0.0f);
                        continue;
                    }
                    gather_row(dst, plane + (id * w.in[1] + ih) * w.in[2], w.s[2], off_w, lo, hi, w.out[2]);
                }
            }
        }
    };
    const int64_t total = channels * taps;
    if (pool)
        pool->parallel_for(total, std::max<int64_t>(1, 16384 / std::max<int64_t>(out_size, 1)), rows);
    else
        rows(0, total);
}

void depthwise_plane(const float* x, const float* weight, const Window3& w, float* out) {
    // In-bounds output ranges per horizontal tap, shared by every row.
    int64_t lo[64], hi[64];
    const bool cached = w.k[2] <= 64;
    if (cached)
        for (int64_t kw = 0; kw < w.k[2]; ++kw) valid_range(w.out[2], w.in[2], w.s[2], kw * w.d[2] - w.before[2], lo[kw], hi[kw]);
    for (int64_t od = 0; od < w.out[0]; ++od) {
        for (int64_t oh = 0; oh < w.out[1]; ++oh) {
            float* row = out + (od * w.out[1] + oh) * w.out[2];
            for (int64_t kd = 0; kd < w.k[0]; ++kd) {
                const int64_t id = od * w.s[0] - w.before[0] + kd * w.d[0];
                if (id < 0 || id >= w.in[0]) continue;
                for (int64_t kh = 0; kh < w.k[1]; ++kh) {
                    const int64_t ih = oh * w.s[1] - w.before[1] + kh * w.d[1];
                    if (ih < 0 || ih >= w.in[1]) continue;
                    const float* in_row = x + (id * w.in[1] + ih) * w.in[2];
                    const float* wrow = weight + (kd * w.k[1] + kh) * w.k[2];
                    for (int64_t kw = 0; kw < w.k[2]; ++kw) {
                        const int64_t off = kw * w.d[2] - w.before[2];
                        int64_t l = 0, h = 0;
                        if (cached) {
                            l = lo[kw], h = hi[kw];
                        } else {
                            valid_range(w.out[2], w.in[2], w.s[2], off, l, h);
                        }
                        axpy_row(row, 1, 0, in_row, w.s[2], off, wrow[kw], l, h);
                    }
                }
            }
        }
    }
}

void col2im_add(const float* col, int64_t channels, const Window3& w, float* out, ThreadPool* pool) {
    const int64_t taps = w.taps(), in_size = w.in_size(), out_size = w.out_size();
    // One channel's output plane only receives that channel's rows: channels run in parallel.
    auto channel_range = [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
            float* plane = out + c * out_size;
            for (int64_t tap = 0; tap < taps; ++tap) {
                const int64_t kd = tap / (w.k[1] * w.k[2]), kh = tap / w.k[2] % w.k[1], kw = tap % w.k[2];
                const float* src = col + (c * taps + tap) * in_size;
                const int64_t off_w = kw * w.d[2] - w.before[2];
                int64_t lo = 0, hi = 0;
                valid_range(w.in[2], w.out[2], w.s[2], off_w, lo, hi);
                for (int64_t id = 0; id < w.in[0]; ++id) {
                    const int64_t od = id * w.s[0] - w.before[0] + kd * w.d[0];
                    for (int64_t ih = 0; ih < w.in[1]; ++ih) {
                        const int64_t oh = ih * w.s[1] - w.before[1] + kh * w.d[1];
                        if (od < 0 || od >= w.out[0] || oh < 0 || oh >= w.out[1]) continue;
                        axpy_row(plane + (od * w.out[1] + oh) * w.out[2], w.s[2], off_w,
                                 src + (id * w.in[1] + ih) * w.in[2], 1, 0, 1.0f, lo, hi);
                    }
                }
            }
        }
    };
    if (pool)
        pool->parallel_for(channels, 1, channel_range);
    else
        channel_range(0, channels);
}

}  // namespace opencoreml::mil
