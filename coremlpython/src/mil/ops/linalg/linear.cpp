// opencoreml ML program ops: linear — x[..., D_in] * weight[D_out, D_in]^T + bias[D_out].
// Weights are constant in practice (converted to float32 once at load); the bias is fused by
// pre-filling the output rows and accumulating the product into them. int32 x with int32
// weights multiplies in integers; iOS17's weights of another dtype take the float path.
#include <algorithm>

#include "kernels/gemm.hpp"
#include "mil/ops/linalg/epilogue.hpp"
#include "mil/ops/linalg/float_operand.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

template <typename T>
void fill_rows(T* out, int64_t rows, const T* bias, int64_t n) {
    for (int64_t r = 0; r < rows; ++r) std::copy(bias, bias + n, out + r * n);
}

class LinearKernel : public Kernel, public ClampFusable {
public:
    explicit LinearKernel(const BuildContext& ctx) {
        const InputInfo& w = ctx.input("weight");
        if (w.rank_known && w.shape.size() != 2)
            ctx.fail("weight must be [D_out, D_in], got shape " + shape_to_string(w.shape));
        for (const char* param : {"x", "weight", "bias"}) {
            if (!ctx.has_input(param)) continue;
            const DType t = ctx.input(param).dtype;
            if (t != DType::Float16 && t != DType::Float32 && t != DType::Int32)
                ctx.fail(std::string(param) + " must be fp16, fp32 or int32, got " + dtype_name(t));
        }
        integer_ = ctx.input("x").dtype == DType::Int32 && w.dtype == DType::Int32 &&
                   (!ctx.has_input("bias") || ctx.input("bias").dtype == DType::Int32);
        if (!integer_) {
            weight_ = F32Operand(ctx, "weight");
            bias_ = F32Operand(ctx, "bias");
        }
    }

    bool fuse_clamp(float lo, float hi) override {
        if (integer_) return false;
        epilogue_ = {lo, hi};
        return true;
    }

    void run(RunContext& ctx) const override {
        const Shape& xs = ctx.input("x").shape();
        const Shape& ws = ctx.input("weight").shape();
        if (ws.size() != 2) ctx.fail("weight must be [D_out, D_in], got shape " + shape_to_string(ws));
        if (xs.empty() || xs.back() != ws[1])
            ctx.fail("x " + shape_to_string(xs) + " must end with D_in = " + std::to_string(ws[1]) + " (weight " +
                     shape_to_string(ws) + ")");
        const int64_t d_out = ws[0], d_in = ws[1];
        if (ctx.has_input("bias") && ctx.input("bias").numel() != d_out)
            ctx.fail("bias has " + std::to_string(ctx.input("bias").numel()) + " values for D_out = " + std::to_string(d_out));
        Shape out_shape = xs;
        out_shape.back() = d_out;
        int64_t rows = 1;  // from the leading dims, so it stays right when D_in is 0
        for (size_t i = 0; i + 1 < xs.size(); ++i) rows *= xs[i];
        integer_ ? run_integer(ctx, out_shape, rows, d_in, d_out) : run_float(ctx, out_shape, rows, d_in, d_out);
    }

private:
    template <typename T>
    kernels::GemmArgs<T> args(int64_t rows, int64_t d_in, int64_t d_out, const T* x, const T* w, T* out, bool bias) const {
        kernels::GemmArgs<T> g;
        g.M = rows, g.N = d_out, g.K = d_in;
        g.A = x, g.lda = d_in;
        g.B = w, g.ldb = d_in, g.trans_b = true;  // weight rows are output features
        g.C = out, g.ldc = d_out;
        g.accumulate = bias;
        return g;
    }

    void run_float(RunContext& ctx, const Shape& out_shape, int64_t rows, int64_t d_in, int64_t d_out) const {
        const Tensor x = ctx.input_f32("x"), w = weight_.get(ctx);
        F32Output out(ctx, 0, out_shape);
        const bool bias = bias_.present();
        if (bias) fill_rows(out.data(), rows, bias_.get(ctx).data<float>(), d_out);
        kernels::sgemm(args<float>(rows, d_in, d_out, x.data<float>(), w.data<float>(), out.data(), bias), &ctx.threads());
        epilogue_.apply(out.data(), rows * d_out);
        out.commit();
    }

    void run_integer(RunContext& ctx, const Shape& out_shape, int64_t rows, int64_t d_in, int64_t d_out) const {
        Tensor& out = ctx.allocate_output(0, DType::Int32, out_shape);
        const bool bias = ctx.has_input("bias");
        if (bias) fill_rows(out.data<int32_t>(), rows, ctx.input("bias").data<int32_t>(), d_out);
        kernels::igemm_batched(args<int32_t>(rows, d_in, d_out, ctx.input("x").data<int32_t>(),
                                             ctx.input("weight").data<int32_t>(), out.data<int32_t>(), bias),
                               {0, 0, 0}, &ctx.threads());
    }

    bool integer_ = false;
    F32Operand weight_, bias_;
    Epilogue epilogue_;
};

// iOS17's revision only lets weight and bias have another dtype than x, handled here for all.
OCML_REGISTER_MIL_OP("linear", kIOS15, [](const BuildContext& ctx) -> std::unique_ptr<Kernel> {
    return std::make_unique<LinearKernel>(ctx);
})

}  // namespace
}  // namespace opencoreml::mil
