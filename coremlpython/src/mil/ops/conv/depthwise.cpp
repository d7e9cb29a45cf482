// opencoreml ML program ops: depthwise (depthwise.hpp). Tasks take runs of input channels;
// a run's phase planes (about 32 KB) are filled, then one tap_sum computes all its outputs.
#include "mil/ops/conv/depthwise.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/tap_sum.hpp"
#include "kernels/vec_math.hpp"
#include "mil/ops/common/thread_floats.hpp"
#include "mil/ops/conv/conv_loops.hpp"
#include "mil/ops/conv/phase_planes.hpp"
#include "mil/thread_pool.hpp"
#include "opencoreml/blob_codec.hpp"

namespace opencoreml::mil {
namespace {

// Work per parallel task below which splitting is not worth a wake-up (multiply-adds, and
// floats copied into phase planes: a padded copy costs about as much per float).
constexpr int64_t kTaskWork = 1 << 14;

// 3-D windows (and kernels of more than kTapSumMaxTaps taps): the generic loop, plane by plane.
void depthwise_generic(const DepthwiseArgs& a, ThreadPool& pool) {
    const Window3& w = a.w;
    const int64_t in_size = w.in_size(), out_size = w.out_size(), taps = w.taps();
    pool.parallel_for(a.n * a.c_out, std::max<int64_t>(1, kTaskWork / std::max<int64_t>(out_size * taps, 1)), [&](int64_t p0, int64_t p1) {
        float* in32 = a.x16 ? thread_floats(kSlotDepthwiseIn, static_cast<size_t>(in_size)) : nullptr;
        float* out32 = a.out16 ? thread_floats(kSlotDepthwiseOut, static_cast<size_t>(out_size)) : nullptr;
        for (int64_t p = p0; p < p1; ++p) {
            const int64_t co = p % a.c_out, src = p / a.c_out * a.c_in + co / a.c_out_g;
            if (a.x16) blob::fp16_to_fp32(a.x16 + src * in_size, in32, static_cast<size_t>(in_size));
            float* out = a.out ? a.out + p * out_size : out32;
            std::fill(out, out + out_size, a.bias ? a.bias[co] : 0.0f);
            depthwise_plane(a.x ? a.x + src * in_size : in32, a.weight + co * taps, w, out);
            a.epilogue.apply(out, out_size);
            if (a.out16) blob::fp32_to_fp16(out32, a.out16 + p * out_size, static_cast<size_t>(out_size));
        }
    });
}

}  // namespace

void depthwise(const DepthwiseArgs& a, ThreadPool& pool) {
    const Window3& w = a.w;
    const int64_t taps = w.taps();
    if (!window_is_planar(w) || taps > kernels::kTapSumMaxTaps) return depthwise_generic(a, pool);
    const PhasePlanes pp = PhasePlanes::make(w, kernels::kTapSumOverread);
    const int64_t in_size = w.in_size(), out_size = w.out_size(), channel = pp.slots * pp.plane, m = a.c_out_g;
    int64_t offsets[kernels::kTapSumMaxTaps];
    for (int64_t th = 0; th < pp.kh; ++th)
        for (int64_t tw = 0; tw < pp.kw; ++tw) offsets[th * pp.kw + tw] = pp.tap_offset(th, tw);
    // Row by row, unless rows are so narrow that whole planes of wph-wide rows take fewer vectors.
    const int64_t lanes = kernels::vm::lanes(), grid = pp.oh * pp.wph;
    const bool by_rows = pp.oh * ((pp.ow + lanes - 1) / lanes) <= (grid + lanes - 1) / lanes;
    const int64_t run = std::clamp<int64_t>(8192 / channel, 1, 64);  // input channels per fill

    // An input channel costs its multiply-adds and, as much again, the copy into its planes.
    const int64_t channel_work = m * out_size * taps + pp.slots * pp.plane;
    pool.parallel_for(a.n * a.c_in, std::max<int64_t>(1, kTaskWork / channel_work), [&](int64_t i0, int64_t i1) {
        float* phases = phase_buffer(kSlotDepthwisePad, pp, run);
        float* in32 = a.x16 ? thread_floats(kSlotDepthwiseIn, static_cast<size_t>(run * in_size)) : nullptr;
        float* out32 = a.out16 ? thread_floats(kSlotDepthwiseOut, static_cast<size_t>(run * m * out_size)) : nullptr;
        float* rows = by_rows ? nullptr : thread_floats(kSlotDepthwiseGrid, static_cast<size_t>(run * m * grid + lanes));
        // Item i = input plane i of the batch (n * c_in + c); its outputs are planes i * m .. i * m + m - 1.
        for (int64_t i = i0; i < i1;) {
            const int64_t c = i % a.c_in, count = std::min({run, i1 - i, a.c_in - c});
            // fp16: the run widened whole (row by row, per-call costs made small planes slower).
            if (a.x16) blob::fp16_to_fp32(a.x16 + i * in_size, in32, static_cast<size_t>(count * in_size));
            pp.fill_channels(a.x16 ? in32 : a.x + i * in_size, in_size, count, phases);
            float* out = a.out ? a.out + i * m * out_size : out32;
            kernels::TapSumPlanes t;
            t.x = phases, t.x_stride = channel, t.multiplier = m;
            t.off = offsets, t.taps = taps;
            t.w = a.weight + c * m * taps;
            t.bias = a.bias ? a.bias + c * m : nullptr;
            t.lo = a.epilogue.lo, t.hi = a.epilogue.hi;
            t.planes = count * m;
            if (by_rows) {
                t.rows = pp.oh, t.n = pp.ow, t.x_row = pp.wph;
                t.y = out, t.y_stride = out_size, t.y_row = pp.ow;
                kernels::tap_sum(t);
            } else {
                // Whole planes wph columns per row, the columns past ow dropped after.
                t.rows = 1, t.n = grid;
                t.y = rows, t.y_stride = grid, t.y_slack = true;  // a plane's tail vector spills into the next
                kernels::tap_sum(t);
                for (int64_t p = 0; p < count * m; ++p)
                    for (int64_t r = 0; r < pp.oh; ++r)
                        copy_floats(out + p * out_size + r * pp.ow, rows + p * grid + r * pp.wph, pp.ow);
            }
            if (a.out16) blob::fp32_to_fp16(out32, a.out16 + i * m * out_size, static_cast<size_t>(count * m * out_size));
            i += count;
        }
    });
}

}  // namespace opencoreml::mil
