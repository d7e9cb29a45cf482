// opencoreml ML program ops: plane-at-a-time fp16 depthwise conv (see depthwise_f16.hpp).
#include "mil/ops/conv/depthwise_f16.hpp"

#include <algorithm>

#include "mil/ops/common/thread_floats.hpp"
#include "mil/ops/conv/conv_loops.hpp"
#include "mil/ops/conv/depthwise2d.hpp"
#include "mil/thread_pool.hpp"
#include "opencoreml/blob_codec.hpp"

namespace opencoreml::mil {

namespace {
// Multiply-adds per parallel task below which splitting work is not worth a wake-up (as conv.cpp).
constexpr int64_t kTaskWork = 1 << 15;
}  // namespace

void depthwise_f16(const DepthwiseF16Args& a, ThreadPool& pool) {
    const Window3& w = a.w;
    const int64_t in_size = w.in_size(), out_size = w.out_size();
    const int64_t planes = a.n * a.c_out, plane_work = out_size * w.taps();
    const int64_t scratch = depthwise2d_scratch(w);
    pool.parallel_for(planes, std::max<int64_t>(1, kTaskWork / std::max<int64_t>(plane_work, 1)), [&](int64_t p0, int64_t p1) {
        // Per task: one widened input plane (reused while the input channel stays the same,
        // i.e. for every output channel of a channel multiplier), one float32 output plane
        // and the padded-plane buffer of the fast loop.
        float* in = thread_floats(kSlotDepthwiseIn, static_cast<size_t>(in_size));
        float* out = thread_floats(kSlotDepthwiseOut, static_cast<size_t>(out_size));
        float* pad = thread_floats(kSlotDepthwisePad, static_cast<size_t>(scratch));
        int64_t widened = -1;
        for (int64_t p = p0; p < p1; ++p) {
            const int64_t n = p / a.c_out, co = p % a.c_out, g = co / a.c_out_g;
            const int64_t plane = n * a.c_in + g;
            if (plane != widened) {
                blob::fp16_to_fp32(a.x + plane * in_size, in, static_cast<size_t>(in_size));
                widened = plane;
            }
            std::fill(out, out + out_size, a.bias ? a.bias[co] : 0.0f);
            const float* weight = a.weight + co * w.taps();
            if (scratch)
                depthwise2d_plane(in, weight, w, out, pad);
            else
                depthwise_plane(in, weight, w, out);
            a.epilogue.apply(out, out_size);
            blob::fp32_to_fp16(out, a.out + p * out_size, static_cast<size_t>(out_size));
        }
    });
}

}  // namespace opencoreml::mil
