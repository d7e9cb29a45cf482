// opencoreml ML program ops: local_response_norm — x / (k + alpha/size * sum of x^2 over a
// window of `size` channels)^beta. Channels are axis -3 (x is [*B, C, H, W] or [C, H, W],
// leading dims batch, as the neural-network LRN layer defines it); for channel c the window
// is [c - size/2, c + (size-1)/2], clipped to the valid channels, as in PyTorch's
// LocalResponseNorm.
#include <cmath>

#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

struct LrnParams {
    int64_t size;
    float alpha, beta, k;
};

std::unique_ptr<Kernel> make_local_response_norm(const BuildContext& b) {
    const LrnParams prm{b.const_int("size"), static_cast<float>(b.const_float("alpha", 1e-4)),
                        static_cast<float>(b.const_float("beta", 0.75)), static_cast<float>(b.const_float("k", 1.0))};
    if (prm.size < 1) b.fail("size must be positive, got " + std::to_string(prm.size));
    return make_kernel([prm](RunContext& ctx) {
        const Tensor& xin = ctx.input("x");
        if (!is_floating(xin.dtype())) ctx.fail(std::string("x must be fp16 or fp32, got ") + dtype_name(xin.dtype()));
        if (xin.rank() < 3) ctx.fail("x must have rank 3 or more, got shape " + shape_to_string(xin.shape()));
        const Tensor x = ctx.input_f32("x");
        const size_t rank = x.shape().size();
        const int64_t channels = x.shape()[rank - 3], plane = x.shape()[rank - 2] * x.shape()[rank - 1];
        const int64_t batch = dims_product(x.shape(), 0, rank - 3);
        F32Output out(ctx, 0, x.shape());
        const float* src = x.data<float>();
        float* dst = out.data();
        const float scale = prm.alpha / static_cast<float>(prm.size);
        const int64_t before = prm.size / 2, after = (prm.size - 1) / 2;
        ctx.threads().parallel_for(batch * channels, std::max<int64_t>(1, (1 << 13) / std::max<int64_t>(1, plane * prm.size)),
                                   [&](int64_t lo, int64_t hi) {
            std::vector<float> window(static_cast<size_t>(plane));
            for (int64_t t = lo; t < hi; ++t) {
                const int64_t bi = t / channels, c = t % channels;
                const float* sample = src + bi * channels * plane;
                std::fill(window.begin(), window.end(), 0.0f);
                for (int64_t j = std::max<int64_t>(0, c - before); j <= std::min(channels - 1, c + after); ++j) {
                    const float* s = sample + j * plane;
                    for (int64_t i = 0; i < plane; ++i) window[static_cast<size_t>(i)] += s[i] * s[i];
                }
                const float* s = sample + c * plane;
                float* d = dst + t * plane;
                for (int64_t i = 0; i < plane; ++i) d[i] = s[i] / std::pow(prm.k + scale * window[static_cast<size_t>(i)], prm.beta);
            }
        });
        out.commit();
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("local_response_norm", kIOS15, make_local_response_norm)

}  // namespace opencoreml::mil
