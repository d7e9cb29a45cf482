// opencoreml ML program ops: batch_norm — per-channel (axis 1) affine normalisation with
// constant mean/variance/gamma/beta; gamma / sqrt(variance + epsilon) is folded at load into
// one scale per channel. The engine may fold the whole op into a preceding conv
// (fuse_activations.cpp).
#include <cmath>

#include "mil/ops/linalg/epilogue.hpp"
#include "mil/ops/norm/norm_params.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

class BatchNormKernel final : public Kernel, public ChannelAffine {
public:
    BatchNormKernel(std::vector<float> mean, std::vector<float> scale, std::vector<float> beta)
        : mean_(std::move(mean)), scale_(std::move(scale)), beta_(std::move(beta)) {}

    void channel_affine(std::vector<float>& scale, std::vector<float>& shift) const override {
        scale = scale_;
        shift.resize(scale_.size());
        for (size_t c = 0; c < scale_.size(); ++c) shift[c] = beta_[c] - mean_[c] * scale_[c];
    }

    void run(RunContext& ctx) const override {
        const Tensor& xin = ctx.input("x");
        if (!is_floating(xin.dtype())) ctx.fail(std::string("x must be fp16 or fp32, got ") + dtype_name(xin.dtype()));
        if (xin.rank() < 2) ctx.fail("x must have rank 2 or more ([N, C, ...]), got shape " + shape_to_string(xin.shape()));
        const int64_t channels = static_cast<int64_t>(scale_.size());
        if (xin.dim(1) != channels)
            ctx.fail("x has " + std::to_string(xin.dim(1)) + " channels (axis 1) but mean has " + std::to_string(channels) + " values");
        const Tensor x = ctx.input_f32("x");
        const int64_t spatial = dims_product(x.shape(), 2, x.shape().size());
        F32Output out(ctx, 0, x.shape());
        const float* src = x.data<float>();
        float* dst = out.data();
        const int64_t planes = x.dim(0) * channels;
        ctx.threads().parallel_for(planes, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, spatial)), [&](int64_t b, int64_t e) {
            for (int64_t p = b; p < e; ++p) {
                const size_t c = static_cast<size_t>(p % channels);
                const float m = mean_[c], a = scale_[c], shift = beta_[c];
                const float* s = src + p * spatial;
                float* d = dst + p * spatial;
                for (int64_t i = 0; i < spatial; ++i) d[i] = (s[i] - m) * a + shift;
            }
        });
        out.commit();
    }

private:
    std::vector<float> mean_, scale_, beta_;
};

std::unique_ptr<Kernel> make_batch_norm(const BuildContext& b) {
    const std::vector<float> mean = b.const_floats("mean"), var = b.const_floats("variance");
    const std::vector<float> gamma = optional_const_floats(b, "gamma"), beta = optional_const_floats(b, "beta");
    const double eps = b.const_float("epsilon", 1e-5);
    const int64_t channels = static_cast<int64_t>(mean.size());
    check_affine_size(b, var, channels, "variance", "mean");
    check_affine_size(b, gamma, channels, "gamma", "mean");
    check_affine_size(b, beta, channels, "beta", "mean");
    std::vector<float> scale(mean.size()), shift(mean.size(), 0.0f);
    for (size_t c = 0; c < mean.size(); ++c) {
        const double g = gamma.empty() ? 1.0 : gamma[c];
        scale[c] = static_cast<float>(g / std::sqrt(static_cast<double>(var[c]) + eps));
        if (!beta.empty()) shift[c] = beta[c];
    }
    return std::make_unique<BatchNormKernel>(mean, std::move(scale), std::move(shift));
}

}  // namespace

OCML_REGISTER_MIL_OP("batch_norm", kIOS15, make_batch_norm)

}  // namespace opencoreml::mil
