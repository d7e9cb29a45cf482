// opencoreml ML program ops: conv — 1-D/2-D/3-D convolution with strides, dilations, groups
// and every pad_type, fp16 or fp32 (iOS17: weight/bias of another dtype, non-constant
// weights); conv_quantized is the same kernel over weights dequantized once at load. Paths:
//   - depthwise (one input channel per group), any dims: depthwise.cpp, a plane at a time;
//   - 1-D and 2-D: conv_tiled.cpp, opencoreml's register-tiled product over phase planes
//     (weights packed at load; bias and a fused relu/clip applied in the tile);
//   - 3-D: im2col + GEMM per (batch, group): out[Cout/g, P] = W[Cout/g, Cin/g*taps] * col,
//     the bias pre-filled.
// fp16 tensors are widened on input and rounded once on output; the 1-D/2-D and depthwise
// kernels widen their input as they copy it into planes.
// A following batch_norm is folded into constant weights and bias at load.
#include <algorithm>
#include <vector>

#include "kernels/gemm.hpp"
#include "mil/ops/conv/conv_common.hpp"
#include "mil/ops/conv/conv_loops.hpp"
#include "mil/ops/conv/conv_quantized_weight.hpp"
#include "mil/ops/conv/conv_tiled.hpp"
#include "mil/ops/conv/phase_planes.hpp"
#include "mil/ops/conv/depthwise.hpp"
#include "mil/ops/conv/window.hpp"
#include "mil/ops/linalg/epilogue.hpp"
#include "mil/ops/linalg/float_operand.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

struct ConvShapes {
    int64_t n = 0, c_in = 0, c_out = 0, groups = 1, c_in_g = 0, c_out_g = 0;
    Window3 w;
};

class ConvKernel : public Kernel, public ClampFusable, public ChannelAffineFusable, public ResidualFusable {
public:
    explicit ConvKernel(const BuildContext& ctx) : ConvKernel(ctx, F32Operand(ctx, "weight")) {
        require_float_inputs(ctx, {"weight"});
    }
    // conv_quantized: the weights, dequantized at load, replace the op's uint8 weight input.
    ConvKernel(const BuildContext& ctx, F32Operand weight)
        : dims_(conv_spatial_dims(ctx)),
          groups_(conv_groups(ctx)),
          spec_(WindowSpec::read(ctx, dims_, true, false)),
          weight_(std::move(weight)),
          bias_(ctx, "bias") {
        require_float_inputs(ctx, {"x", "bias"});
        pack_tiled();
    }

    bool fuse_clamp(float lo, float hi) override {
        epilogue_ = {lo, hi};
        return true;
    }

    // A following add of a same-shape fp32 tensor, before any clamp (a residual connection).
    bool fuse_residual() override {
        if (epilogue_.active() || residual_) return false;
        residual_ = true;
        return true;
    }

    // A following batch_norm: W'[co] = W[co] * scale[co], b'[co] = b[co] * scale[co] + shift[co].
    bool fuse_channel_affine(const std::vector<float>& scale, const std::vector<float>& shift) override {
        if (!weight_.is_const() || epilogue_.active() || residual_ || (bias_.present() && !bias_.is_const())) return false;
        const Tensor& w = weight_.constant();
        const int64_t c_out = w.rank() ? w.dim(0) : 0;
        if (c_out == 0 || static_cast<int64_t>(scale.size()) != c_out) return false;
        Tensor fused_w = w.clone(), fused_b = Tensor::zeros(DType::Float32, {c_out});
        const int64_t per_channel = w.numel() / c_out;
        float* fw = fused_w.data<float>();
        float* fb = fused_b.data<float>();
        const float* b = bias_.present() ? bias_.constant().data<float>() : nullptr;
        if (b && bias_.constant().numel() != c_out) return false;
        for (int64_t co = 0; co < c_out; ++co) {
            for (int64_t i = co * per_channel; i < (co + 1) * per_channel; ++i) fw[i] *= scale[co];
            fb[co] = (b ? b[co] * scale[co] : 0.0f) + shift[co];
        }
        weight_ = F32Operand::constant(std::move(fused_w));
        bias_ = F32Operand::constant(std::move(fused_b));
        if (!tiled_.empty()) tiled_.scale_rows(scale);  // the packed copy, scaled in place
        return true;
    }

    void run(RunContext& ctx) const override {
        const Shape& xs = ctx.input("x").shape();
        check_conv_input(ctx, xs, dims_);
        const Tensor weight = weight_.get(ctx);
        const Shape& ws = weight.shape();
        if (ws.size() != dims_ + 2) ctx.fail("weight " + shape_to_string(ws) + " must have rank " + std::to_string(dims_ + 2));
        ConvShapes s;
        s.n = xs[0], s.c_in = xs[1], s.c_out = ws[0], s.groups = groups_, s.c_in_g = ws[1];
        if (s.c_in != s.c_in_g * groups_ || s.c_out % groups_ != 0)
            ctx.fail("x " + shape_to_string(xs) + " and weight " + shape_to_string(ws) + " do not fit groups = " +
                     std::to_string(groups_) + " (need C_in = weight[1] * groups and C_out divisible by groups)");
        s.c_out_g = s.c_out / groups_;
        s.w = forward_window(ctx, spec_, &xs[2], &ws[2]);
        Shape out_shape = {s.n, s.c_out};
        for (size_t i = 0; i < dims_; ++i) out_shape.push_back(s.w.out[3 - dims_ + i]);

        const float* bias = nullptr;
        Tensor bias_values;
        if (bias_.present()) {
            bias_values = bias_.get(ctx);
            if (bias_values.numel() != s.c_out)
                ctx.fail("bias has " + std::to_string(bias_values.numel()) + " values for " + std::to_string(s.c_out) +
                         " output channels");
            bias = bias_values.data<float>();
        }
        const float* residual = nullptr;
        Tensor residual_values;
        if (residual_) {
            residual_values = ctx.input_f32("residual");
            if (residual_values.shape() != out_shape)
                ctx.fail("the fused residual add's other input " + shape_to_string(residual_values.shape()) +
                         " does not match the conv output " + shape_to_string(out_shape));
            residual = residual_values.data<float>();
        }
        if (s.c_in_g == 1 && groups_ > 1 && !residual) {
            depthwise_path(ctx, s, weight.data<float>(), bias, out_shape);
            return;
        }
        const bool tiled = window_is_planar(s.w) && !(s.c_in_g == 1 && groups_ > 1);
        TiledConvArgs io;
        if (tiled && !residual && ctx.input("x").dtype() == DType::Float16 && !conv_tiled_in_place(s.w)) {
            // fp16 input: widened as the planes are filled, no full-size float32 copy.
            F32Output out(ctx, 0, out_shape);
            io.x16 = static_cast<const uint16_t*>(ctx.input("x").raw());
            io.out = out.data();
            tiled_path(ctx, s, weight.data<float>(), bias, io);
            out.commit();
            return;
        }
        const Tensor x = ctx.input_f32("x");
        F32Output out(ctx, 0, out_shape);
        if (tiled) {
            io.x = x.data<float>(), io.out = out.data(), io.residual = residual;
            tiled_path(ctx, s, weight.data<float>(), bias, io);
            out.commit();
            return;
        }
        // Depthwise with a residual and 3-D convs: bias, product, residual, clamp in passes.
        if (s.c_in_g == 1 && groups_ > 1) {
            DepthwiseArgs a = depthwise_args(s, weight.data<float>(), bias);
            a.epilogue = Epilogue{};
            a.x = x.data<float>(), a.out = out.data();
            depthwise(a, ctx.threads());
        } else {
            fill_channels(out.data(), s.n, s.c_out, s.w.out_size(), bias);
            gemm_path(ctx, s, x.data<float>(), weight.data<float>(), out.data());
        }
        const int64_t total = shape_numel(out_shape);
        if (residual)
            for (int64_t i = 0; i < total; ++i) out.data()[i] += residual[i];
        epilogue_.apply(out.data(), total);
        out.commit();
    }

private:
    // fp16 in and out: planes widened and rounded one at a time; otherwise through float32.
    DepthwiseArgs depthwise_args(const ConvShapes& s, const float* weight, const float* bias) const {
        DepthwiseArgs a;
        a.n = s.n, a.c_in = s.c_in, a.c_out = s.c_out, a.c_out_g = s.c_out_g, a.w = s.w;
        a.weight = weight, a.bias = bias, a.epilogue = epilogue_;
        return a;
    }

    void depthwise_path(RunContext& ctx, const ConvShapes& s, const float* weight, const float* bias, const Shape& out_shape) const {
        DepthwiseArgs a = depthwise_args(s, weight, bias);
        if (ctx.input("x").dtype() == DType::Float16 && ctx.output_dtype(0) == DType::Float16) {
            a.x16 = static_cast<const uint16_t*>(ctx.input("x").raw());
            a.out16 = static_cast<uint16_t*>(ctx.allocate_output(0, DType::Float16, out_shape).raw());
            depthwise(a, ctx.threads());
            return;
        }
        const Tensor x = ctx.input_f32("x");
        F32Output out(ctx, 0, out_shape);
        a.x = x.data<float>(), a.out = out.data();
        depthwise(a, ctx.threads());
        out.commit();
    }

    // Constant weights packed once for conv_tiled (1-D and 2-D convs).
    void pack_tiled() {
        if (!weight_.is_const() || dims_ > 2) return;
        const Tensor& w = weight_.constant();
        if (w.rank() != dims_ + 2 || w.dim(0) == 0 || w.dim(0) % groups_ != 0) return;
        tiled_ = TiledConvWeights::pack(w.data<float>(), w.dim(0), groups_, w.numel() / w.dim(0));
    }

    // a: the input (fp32 x, or fp16 x16), output and residual pointers.
    void tiled_path(RunContext& ctx, const ConvShapes& s, const float* weight, const float* bias, TiledConvArgs a) const {
        TiledConvWeights packed_now;  // non-constant weights: packed for this run
        const TiledConvWeights* packed = &tiled_;
        if (tiled_.empty()) {
            packed_now = TiledConvWeights::pack(weight, s.c_out, s.groups, s.c_in_g * s.w.taps());
            packed = &packed_now;
        }
        a.n = s.n, a.c_in = s.c_in, a.c_out = s.c_out, a.groups = s.groups, a.w = s.w;
        a.weights = packed, a.bias = bias, a.epilogue = epilogue_;
        Tensor offsets = ctx.scratch(DType::Int64, {std::max<int64_t>(conv_tiled_offsets(a), 1)});
        conv_tiled(a, offsets.data<int64_t>(), ctx.threads());
    }

    void gemm_path(RunContext& ctx, const ConvShapes& s, const float* x, const float* weight, float* out) const {
        const Window3& w = s.w;
        const int64_t out_size = w.out_size(), rows = s.c_in_g * w.taps();
        const bool pointwise = w.taps() == 1 && w.s[0] == 1 && w.s[1] == 1 && w.s[2] == 1 && w.before[0] == 0 &&
                               w.before[1] == 0 && w.before[2] == 0 && out_size == w.in_size();
        // One product per (batch, group); the output was pre-filled with the bias.
        auto product = [&](int64_t item, float* col, ThreadPool* pool) {
            const int64_t n = item / s.groups, g = item % s.groups;
            const float* x_g = x + (n * s.c_in + g * s.c_in_g) * w.in_size();
            if (!pointwise) im2col(x_g, s.c_in_g, w, col, pool);
            kernels::GemmArgs<float> a;
            a.M = s.c_out_g, a.N = out_size, a.K = rows;
            a.A = weight + g * s.c_out_g * rows, a.lda = rows;
            a.B = pointwise ? x_g : col, a.ldb = out_size;
            a.C = out + (n * s.c_out + g * s.c_out_g) * out_size, a.ldc = out_size;
            a.accumulate = true;
            kernels::sgemm(a, pool);
        };
        const int64_t items = s.n * s.groups;
        ThreadPool& pool = ctx.threads();
        if (items >= 2 && pool.size() >= 2) {
            // Independent products: whole ones per thread, each with its own column buffer.
            pool.parallel_for(items, 1, [&](int64_t i0, int64_t i1) {
                std::vector<float> col(pointwise ? 0 : static_cast<size_t>(rows * out_size));
                for (int64_t i = i0; i < i1; ++i) product(i, col.data(), nullptr);
            });
            return;
        }
        Tensor col = pointwise ? Tensor() : ctx.scratch(DType::Float32, {rows, out_size});
        for (int64_t i = 0; i < items; ++i) product(i, pointwise ? nullptr : col.data<float>(), &pool);
    }

    size_t dims_;
    int64_t groups_;
    WindowSpec spec_;
    F32Operand weight_, bias_;
    Epilogue epilogue_;
    bool residual_ = false;  // reads input "residual" (fuse_residual)
    TiledConvWeights tiled_;
};

// The iOS17 revision only widens dtypes and allows non-constant weights; one kernel serves all.
OCML_REGISTER_MIL_OP("conv", kIOS15, [](const BuildContext& ctx) -> std::unique_ptr<Kernel> {
    return std::make_unique<ConvKernel>(ctx);
})

OCML_REGISTER_MIL_OP("conv_quantized", kIOS15, [](const BuildContext& ctx) -> std::unique_ptr<Kernel> {
    return std::make_unique<ConvKernel>(ctx, F32Operand::constant(dequantize_conv_weight(ctx)));
})

}  // namespace
}  // namespace opencoreml::mil
