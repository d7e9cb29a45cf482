// opencoreml ML program ops: panel-wise fp16 pointwise conv (see pointwise_f16.hpp).
#include "mil/ops/conv/pointwise_f16.hpp"

#include <algorithm>

#include "kernels/gemm.hpp"
#include "mil/ops/common/thread_floats.hpp"
#include "mil/thread_pool.hpp"
#include "opencoreml/blob_codec.hpp"

namespace opencoreml::mil {

namespace {

// Floats of input plus output panel to aim for: inside L2, and big enough that the GEMM per
// panel keeps its efficiency (narrow panels of a product that fits in cache anyway only
// cost GEMM speed, so such products stay whole).
constexpr int64_t kPanelFloats = 1 << 17;
// Multiply-adds below which a product is not worth splitting over threads (as kernels::sgemm).
constexpr int64_t kParallelWork = int64_t(1) << 19;

int64_t panel_width(const PointwiseF16Args& a) {
    const int64_t want = kPanelFloats / std::max<int64_t>(1, a.c_in_g + a.c_out_g);
    const int64_t width = std::max<int64_t>(64, want / 16 * 16);  // whole vectors per row
    return std::min(width, a.positions);
}

}  // namespace

void pointwise_f16(const PointwiseF16Args& a, ThreadPool& pool) {
    const int64_t P = a.positions;
    if (P == 0 || a.n == 0 || a.groups == 0) return;
    const int64_t c_in = a.groups * a.c_in_g, c_out = a.groups * a.c_out_g;
    const int64_t threads = pool.size(), work = a.n * a.groups * a.c_out_g * a.c_in_g * P;
    int64_t width = panel_width(a);
    // Products worth splitting (the same 2^19 multiply-adds as kernels::sgemm) get at least
    // one panel per thread when the columns allow it.
    const bool parallel = threads >= 2 && work >= kParallelWork;
    if (parallel && a.n * a.groups < threads)
        width = std::min(width, std::max<int64_t>(16, ((P + threads - 1) / threads + 15) / 16 * 16));
    const int64_t panels = (P + width - 1) / width, tasks = a.n * a.groups * panels;

    // Task t: the product of (batch, group, panel) t, on the calling thread's buffers.
    auto run_task = [&](int64_t t, ThreadPool* gemm_pool) {
        float* in = thread_floats(kSlotPanelIn, static_cast<size_t>(a.c_in_g * width));
        float* out = thread_floats(kSlotPanelOut, static_cast<size_t>(a.c_out_g * width));
        const int64_t item = t / panels, panel = t % panels;
        const int64_t n = item / a.groups, g = item % a.groups;
        const int64_t p0 = panel * width, cols = std::min(width, P - p0);
        const uint16_t* x = a.x + (n * c_in + g * a.c_in_g) * P + p0;
        if (cols == P)  // whole rows: one contiguous run
            blob::fp16_to_fp32(x, in, static_cast<size_t>(a.c_in_g * P));
        else
            for (int64_t k = 0; k < a.c_in_g; ++k)
                blob::fp16_to_fp32(x + k * P, in + k * cols, static_cast<size_t>(cols));
        for (int64_t m = 0; m < a.c_out_g; ++m)
            std::fill(out + m * cols, out + (m + 1) * cols, a.bias ? a.bias[g * a.c_out_g + m] : 0.0f);
        kernels::GemmArgs<float> gemm;
        gemm.M = a.c_out_g, gemm.N = cols, gemm.K = a.c_in_g;
        gemm.A = a.weight + g * a.c_out_g * a.c_in_g, gemm.lda = a.c_in_g;
        gemm.B = in, gemm.ldb = cols;
        gemm.C = out, gemm.ldc = cols;
        gemm.accumulate = true;
        kernels::sgemm(gemm, gemm_pool);
        a.epilogue.apply(out, a.c_out_g * cols);
        uint16_t* y = a.out + (n * c_out + g * a.c_out_g) * P + p0;
        if (cols == P)
            blob::fp32_to_fp16(out, y, static_cast<size_t>(a.c_out_g * P));
        else
            for (int64_t m = 0; m < a.c_out_g; ++m)
                blob::fp32_to_fp16(out + m * cols, y + m * P, static_cast<size_t>(cols));
    };

    if (parallel && tasks >= threads) {
        pool.parallel_for(tasks, 1, [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) run_task(t, nullptr);
        });
    } else {
        // Too few panels to share out (or too little work): one after the other, each
        // product free to split itself over the pool.
        for (int64_t t = 0; t < tasks; ++t) run_task(t, parallel ? &pool : nullptr);
    }
}

}  // namespace opencoreml::mil
