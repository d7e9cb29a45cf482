// opencoreml ML program ops: activations with per-channel constants along axis 1 of x
// ([B, C, ...]): prelu (alpha[C]; x of rank 3, 4 or 5) and softplus_parametric (alpha[C],
// beta[C]; x of rank >= 3). A constant of length 1 applies to every channel. The iOS17
// revisions only let the constants have their own float type.
#include <algorithm>
#include <cmath>
#include <vector>

#include "mil/ops/elementwise/float_map.hpp"

namespace opencoreml::mil {
namespace {

struct PreluAt {
    float alpha;
    float operator()(float x) const { return x >= 0.0f ? x : alpha * x; }
};
struct SoftplusAt {
    float alpha, beta;
    float operator()(float x) const {
        const float z = beta * x;
        return alpha * (std::log1p(std::exp(-std::fabs(z))) + (z > 0.0f ? z : 0.0f));
    }
};

struct Prelu {
    std::vector<float> alpha;
    PreluAt at(size_t c) const { return {alpha[alpha.size() == 1 ? 0 : c]}; }
};
struct SoftplusParametric {
    std::vector<float> alpha, beta;
    SoftplusAt at(size_t c) const {
        return {alpha[alpha.size() == 1 ? 0 : c], beta[beta.size() == 1 ? 0 : c]};
    }
};

// Op::at(c) gives the scalar function of channel c; runs of one channel are contiguous.
template <class Op>
class ChannelKernel final : public Kernel {
public:
    ChannelKernel(Op op, int64_t min_rank, int64_t max_rank, size_t channels)
        : op_(std::move(op)), min_rank_(min_rank), max_rank_(max_rank), channels_(channels) {}

    void run(RunContext& ctx) const override {
        const Tensor& x = ctx.input("x");
        if (x.rank() < min_rank_ || x.rank() > max_rank_)
            ctx.fail("input 'x' has rank " + std::to_string(x.rank()) + "; expected rank " + std::to_string(min_rank_) +
                     (max_rank_ == min_rank_ ? "" : max_rank_ > 64 ? " or more" : " to " + std::to_string(max_rank_)));
        const int64_t C = x.dim(1);
        if (channels_ != 1 && static_cast<int64_t>(channels_) != C)
            ctx.fail("x has " + std::to_string(C) + " channels (dim 1) but the per-channel constants have " +
                     std::to_string(channels_));
        if (!is_float_type(x.dtype())) ctx.fail(std::string("input 'x' must be fp16 or fp32, got ") + dtype_name(x.dtype()));
        Tensor& out = ctx.allocate_output(0, x.shape());
        int64_t inner = 1;
        for (int64_t d = 2; d < x.rank(); ++d) inner *= x.dim(d);
        const int64_t n = x.numel();
        if (n == 0) return;
        const DType in_type = x.dtype(), out_type = out.dtype();
        const void* src = x.raw();
        void* dst = out.raw();
        const bool direct = in_type == DType::Float32 && out_type == DType::Float32;
        ctx.threads().parallel_for(n, static_cast<int64_t>(Cost::Transcendental), [&](int64_t begin, int64_t end) {
            float buf[kFloatBlock];
            for (int64_t i = begin; i < end;) {
                const int64_t row = i / inner;
                const int64_t stop = std::min(end, (row + 1) * inner);
                const auto fn = op_.at(static_cast<size_t>(row % C));
                if (direct) {
                    const float* s = static_cast<const float*>(src);
                    float* d = static_cast<float*>(dst);
                    for (int64_t j = i; j < stop; ++j) d[j] = fn(s[j]);
                    i = stop;
                    continue;
                }
                for (; i < stop; i += kFloatBlock) {
                    const int64_t m = std::min(kFloatBlock, stop - i);
                    load_f32(in_type, src, i, m, buf);
                    for (int64_t j = 0; j < m; ++j) buf[j] = fn(buf[j]);
                    store_f32(out_type, dst, i, m, buf);
                }
                i = stop;
            }
        });
    }

private:
    Op op_;
    int64_t min_rank_, max_rank_;
    size_t channels_;
};

std::vector<float> channel_constant(const BuildContext& ctx, const char* name) {
    const Tensor& t = ctx.const_tensor(name);
    if (t.rank() != 1 || t.numel() == 0)
        ctx.fail(std::string("'") + name + "' must be a rank-1 tensor with one value per channel, got shape " +
                 shape_to_string(t.shape()));
    return ctx.const_floats(name);
}

std::unique_ptr<Kernel> make_prelu(const BuildContext& ctx) {
    require_unary_input_type(ctx, false);
    Prelu op{channel_constant(ctx, "alpha")};
    const size_t channels = op.alpha.size();
    return std::make_unique<ChannelKernel<Prelu>>(std::move(op), 3, 5, channels);
}

std::unique_ptr<Kernel> make_softplus_parametric(const BuildContext& ctx) {
    require_unary_input_type(ctx, false);
    SoftplusParametric op{channel_constant(ctx, "alpha"), channel_constant(ctx, "beta")};
    if (op.alpha.size() != op.beta.size() && op.alpha.size() != 1 && op.beta.size() != 1)
        ctx.fail("alpha has " + std::to_string(op.alpha.size()) + " values but beta has " + std::to_string(op.beta.size()));
    const size_t channels = std::max(op.alpha.size(), op.beta.size());
    return std::make_unique<ChannelKernel<SoftplusParametric>>(std::move(op), 3, INT64_MAX, channels);
}

}  // namespace

OCML_REGISTER_MIL_OP("prelu", kIOS15, make_prelu)
OCML_REGISTER_MIL_OP("softplus_parametric", kIOS15, make_softplus_parametric)

}  // namespace opencoreml::mil
