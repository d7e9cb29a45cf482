// opencoreml ML program ops: layer_norm — normalise over `axes` (default: all) by the mean and
// (biased) variance of those dims, then apply gamma/beta laid out over the normalised dims.
// The common case (trailing or otherwise contiguous axes) reads x in place; scattered axes
// are permuted to the end first and the result permuted back.
#include <cmath>

#include "kernels/vec_math.hpp"
#include "mil/ops/norm/norm_params.hpp"
#include "mil/ops/reduce/reduce_plan.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/ops/tensor/strided_copy.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

constexpr int64_t kColumns = 256;       // columns per task when normalising across rows
constexpr int64_t kNormGrain = 1 << 14;

struct Affine {
    const float* gamma;  // nullptr: ones
    const float* beta;   // nullptr: zeros
    double eps;
};

// One contiguous run of n values (vectorised; statistics in double).
void normalize_row(const float* x, float* y, int64_t n, const Affine& af) {
    kernels::vm::layer_norm_row(x, y, n, af.gamma, af.beta, af.eps);
}

// Columns [0, count) of an [n, stride] block, each normalised down its n values.
void normalize_columns(const float* x, float* y, int64_t n, int64_t stride, int64_t count, const Affine& af,
                       double* mean, double* sq) {
    std::fill(mean, mean + count, 0.0);
    std::fill(sq, sq + count, 0.0);
    for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i < count; ++i) mean[i] += x[k * stride + i];
    for (int64_t i = 0; i < count; ++i) mean[i] /= static_cast<double>(n);
    for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i < count; ++i) {
            const double d = x[k * stride + i] - mean[i];
            sq[i] += d * d;
        }
    for (int64_t i = 0; i < count; ++i) sq[i] = 1.0 / std::sqrt(sq[i] / static_cast<double>(n) + af.eps);
    for (int64_t k = 0; k < n; ++k) {
        const float g = af.gamma ? af.gamma[k] : 1.0f, b = af.beta ? af.beta[k] : 0.0f;
        for (int64_t i = 0; i < count; ++i)
            y[k * stride + i] = (x[k * stride + i] - static_cast<float>(mean[i])) * static_cast<float>(sq[i]) * g + b;
    }
}

void normalize_blocks(const float* x, float* y, const ReducePlan& p, const Affine& af, ThreadPool& pool) {
    const int64_t n = p.reduced, inner = p.inner, block = n * inner;
    if (inner == 1) {
        pool.parallel_for(p.outer, std::max<int64_t>(1, kNormGrain / std::max<int64_t>(1, n)), [&](int64_t b, int64_t e) {
            for (int64_t o = b; o < e; ++o) normalize_row(x + o * n, y + o * n, n, af);
        });
        return;
    }
    const int64_t groups = (inner + kColumns - 1) / kColumns;
    pool.parallel_for(p.outer * groups, std::max<int64_t>(1, kNormGrain / std::max<int64_t>(1, n * kColumns)), [&](int64_t b, int64_t e) {
        std::vector<double> mean(kColumns), sq(kColumns);
        for (int64_t t = b; t < e; ++t) {
            const int64_t o = t / groups, c0 = (t % groups) * kColumns;
            const int64_t offset = o * block + c0;
            normalize_columns(x + offset, y + offset, n, inner, std::min(kColumns, inner - c0), af, mean.data(), sq.data());
        }
    });
}

class LayerNormKernel final : public Kernel {
public:
    LayerNormKernel(AxesParam axes, std::vector<float> gamma, std::vector<float> beta, double eps)
        : axes_(std::move(axes)), gamma_(std::move(gamma)), beta_(std::move(beta)), eps_(eps) {}

    void run(RunContext& ctx) const override {
        const Tensor& xin = ctx.input("x");
        if (!is_floating(xin.dtype())) ctx.fail(std::string("x must be fp16 or fp32, got ") + dtype_name(xin.dtype()));
        const ReducePlan plan = plan_reduce(xin.shape(), axes_.resolve(ctx, xin.rank()), true);
        check_affine_size(ctx, gamma_, plan.reduced, "gamma", "the normalized dims");
        check_affine_size(ctx, beta_, plan.reduced, "beta", "the normalized dims");
        F32Output out(ctx, 0, xin.shape());
        if (xin.numel() == 0 || plan.reduced == 0) {
            out.commit();
            return;
        }
        const Affine af{gamma_.empty() ? nullptr : gamma_.data(), beta_.empty() ? nullptr : beta_.data(), eps_};
        const Tensor x = reduce_layout(ctx, ctx.input_f32("x"), plan);
        if (!plan.permute) {
            normalize_blocks(x.data<float>(), out.data(), plan, af, ctx.threads());
        } else {
            Tensor y = ctx.scratch(DType::Float32, x.shape());
            normalize_blocks(x.data<float>(), y.data<float>(), plan, af, ctx.threads());
            // y is laid out as x permuted by plan.perm; the inverse permutation restores x's order.
            Shape permuted(plan.perm.size());
            std::vector<int64_t> inverse(plan.perm.size());
            for (size_t i = 0; i < plan.perm.size(); ++i) {
                permuted[i] = xin.shape()[static_cast<size_t>(plan.perm[i])];
                inverse[static_cast<size_t>(plan.perm[i])] = static_cast<int64_t>(i);
            }
            permute_copy(sizeof(float), permuted, inverse, y.raw(), out.data(), &ctx.threads());
        }
        out.commit();
    }

private:
    AxesParam axes_;
    std::vector<float> gamma_, beta_;
    double eps_;
};

std::unique_ptr<Kernel> make_layer_norm(const BuildContext& b) {
    return std::make_unique<LayerNormKernel>(AxesParam::read(b, "axes"), optional_const_floats(b, "gamma"),
                                             optional_const_floats(b, "beta"), b.const_float("epsilon", 1e-5));
}

}  // namespace

OCML_REGISTER_MIL_OP("layer_norm", kIOS15, make_layer_norm)

}  // namespace opencoreml::mil
