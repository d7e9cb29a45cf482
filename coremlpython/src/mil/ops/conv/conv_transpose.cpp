// opencoreml ML program ops: conv_transpose — the adjoint of conv (1-D/2-D/3-D, strides,
// dilations, groups, valid/same/same_lower/custom padding, optional output_shape), fp16 or
// fp32. Per (batch, group) one GEMM spreads every input position over the kernel taps,
// col[Cout/g * taps, P_in] = W_g^T * x_g with W_g the group's [Cin/g, Cout/g * taps] rows of
// the weight, then col2im adds each column into the output position it lands on, cropped by
// the padding. Constant weights are converted to float32 once at load.
#include <algorithm>

#include "kernels/gemm.hpp"
#include "mil/ops/conv/conv_common.hpp"
#include "mil/ops/conv/conv_loops.hpp"
#include "mil/ops/conv/window.hpp"
#include "mil/ops/linalg/float_operand.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

class ConvTransposeKernel : public Kernel {
public:
    explicit ConvTransposeKernel(const BuildContext& ctx)
        : dims_(conv_spatial_dims(ctx)),
          groups_(conv_groups(ctx)),
          spec_(WindowSpec::read(ctx, dims_, true, false)),
          weight_(ctx, "weight"),
          bias_(ctx, "bias") {
        require_float_inputs(ctx, {"x", "weight", "bias"});
        if (ctx.has_input("output_shape")) {
            output_shape_ = ctx.const_ints("output_shape");
            if (output_shape_.size() != dims_ && output_shape_.size() != dims_ + 2)
                ctx.fail("output_shape has " + std::to_string(output_shape_.size()) + " values, expected " +
                         std::to_string(dims_ + 2) + " ([N, C_out, *spatial])");
        }
    }

    void run(RunContext& ctx) const override {
        const Shape& xs = ctx.input("x").shape();
        check_conv_input(ctx, xs, dims_);
        const Tensor x = ctx.input_f32("x"), weight = weight_.get(ctx);
        const Shape& ws = weight.shape();
        if (ws.size() != dims_ + 2) ctx.fail("weight " + shape_to_string(ws) + " must have rank " + std::to_string(dims_ + 2));
        const int64_t n = xs[0], c_in = xs[1], c_out_g = ws[1], c_out = c_out_g * groups_;
        if (ws[0] != c_in || c_in % groups_ != 0)
            ctx.fail("x " + shape_to_string(xs) + " and weight " + shape_to_string(ws) + " do not fit groups = " +
                     std::to_string(groups_) + " (need weight [C_in, C_out / groups, *K] with C_in divisible by groups)");
        const int64_t c_in_g = c_in / groups_;
        std::vector<int64_t> out_spatial;
        if (!output_shape_.empty()) {
            const size_t lead = output_shape_.size() - dims_;
            if (lead == 2 && (output_shape_[0] != n || output_shape_[1] != c_out))
                ctx.fail("output_shape starts with [" + std::to_string(output_shape_[0]) + ", " +
                         std::to_string(output_shape_[1]) + "] but the output is [" + std::to_string(n) + ", " +
                         std::to_string(c_out) + ", ...]");
            out_spatial.assign(output_shape_.begin() + static_cast<std::ptrdiff_t>(lead), output_shape_.end());
        }
        const Window3 w = transpose_window(ctx, spec_, &xs[2], &ws[2], out_spatial);
        Shape out_shape = {n, c_out};
        for (size_t i = 0; i < dims_; ++i) out_shape.push_back(w.out[3 - dims_ + i]);

        const float* bias = nullptr;
        Tensor bias_values;
        if (bias_.present()) {
            bias_values = bias_.get(ctx);
            if (bias_values.numel() != c_out)
                ctx.fail("bias has " + std::to_string(bias_values.numel()) + " values for " + std::to_string(c_out) +
                         " output channels");
            bias = bias_values.data<float>();
        }
        F32Output out(ctx, 0, out_shape);
        fill_channels(out.data(), n, c_out, w.out_size(), bias);

        const int64_t rows = c_out_g * w.taps(), in_size = w.in_size();
        Tensor col = ctx.scratch(DType::Float32, {rows, in_size});
        for (int64_t item = 0; item < n * groups_; ++item) {
            const int64_t b = item / groups_, g = item % groups_;
            kernels::GemmArgs<float> a;
            a.M = rows, a.N = in_size, a.K = c_in_g;
            a.A = weight.data<float>() + g * c_in_g * rows, a.lda = rows, a.trans_a = true;
            a.B = x.data<float>() + (b * c_in + g * c_in_g) * in_size, a.ldb = in_size;
            a.C = col.data<float>(), a.ldc = in_size;
            kernels::sgemm(a, &ctx.threads());
            col2im_add(col.data<float>(), c_out_g, w, out.data() + (b * c_out + g * c_out_g) * w.out_size(), &ctx.threads());
        }
        out.commit();
    }

private:
    size_t dims_;
    int64_t groups_;
    WindowSpec spec_;
    F32Operand weight_, bias_;
    std::vector<int64_t> output_shape_;
};

// The iOS17 revision only widens dtypes and allows non-constant weights; one kernel serves all.
OCML_REGISTER_MIL_OP("conv_transpose", kIOS15, [](const BuildContext& ctx) -> std::unique_ptr<Kernel> {
    return std::make_unique<ConvTransposeKernel>(ctx);
})

}  // namespace
}  // namespace opencoreml::mil
