// opencoreml ML program ops: instance_norm — each (sample, channel) plane of x [N, C, *D]
// normalised by its own mean and variance, then scaled by gamma[c] and shifted by beta[c].
#include <cmath>

#include "mil/ops/norm/norm_params.hpp"
#include "mil/ops/reduce/row_stats.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

class InstanceNormKernel final : public Kernel {
public:
    InstanceNormKernel(std::vector<float> gamma, std::vector<float> beta, double eps)
        : gamma_(std::move(gamma)), beta_(std::move(beta)), eps_(eps) {}

    void run(RunContext& ctx) const override {
        const Tensor& xin = ctx.input("x");
        if (!is_floating(xin.dtype())) ctx.fail(std::string("x must be fp16 or fp32, got ") + dtype_name(xin.dtype()));
        if (xin.rank() < 3) ctx.fail("x must have rank 3 or more ([N, C, *D]), got shape " + shape_to_string(xin.shape()));
        const int64_t channels = xin.dim(1);
        check_affine_size(ctx, gamma_, channels, "gamma", "x's channel axis");
        check_affine_size(ctx, beta_, channels, "beta", "x's channel axis");
        const Tensor x = ctx.input_f32("x");
        const int64_t spatial = dims_product(x.shape(), 2, x.shape().size());
        F32Output out(ctx, 0, x.shape());
        const float* src = x.data<float>();
        float* dst = out.data();
        ctx.threads().parallel_for(x.dim(0) * channels, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, spatial)), [&](int64_t b, int64_t e) {
            for (int64_t p = b; p < e; ++p) {
                const size_t c = static_cast<size_t>(p % channels);
                const float* s = src + p * spatial;
                float* d = dst + p * spatial;
                const double mean = spatial ? row_sum(s, spatial) / static_cast<double>(spatial) : 0.0;
                const double sq = row_sq_dev(s, spatial, mean);
                const double rstd = 1.0 / std::sqrt((spatial ? sq / static_cast<double>(spatial) : 0.0) + eps_);
                // (x - mean) first: folding mean into the shift would cancel badly when |mean| >> std.
                const float a = static_cast<float>(rstd * (gamma_.empty() ? 1.0 : gamma_[c]));
                const float m = static_cast<float>(mean), shift = beta_.empty() ? 0.0f : beta_[c];
                for (int64_t i = 0; i < spatial; ++i) d[i] = (s[i] - m) * a + shift;
            }
        });
        out.commit();
    }

private:
    std::vector<float> gamma_, beta_;
    double eps_;
};

std::unique_ptr<Kernel> make_instance_norm(const BuildContext& b) {
    return std::make_unique<InstanceNormKernel>(optional_const_floats(b, "gamma"), optional_const_floats(b, "beta"),
                                                b.const_float("epsilon", 1e-5));
}

}  // namespace

OCML_REGISTER_MIL_OP("instance_norm", kIOS15, make_instance_norm)

}  // namespace opencoreml::mil
