// opencoreml ML program ops: matmul — numpy.matmul with optional transposes of the last two
// dims, batch dims broadcast, rank-1 operands promoted and their inserted dim dropped. fp16 and
// fp32 go through the float32 BLAS path (iOS17 allows one constant side of another dtype);
// int32 x int32 multiplies in integers.
#include <algorithm>

#include "kernels/gemm.hpp"
#include "mil/ops/common/broadcast.hpp"
#include "mil/ops/linalg/batch_offsets.hpp"
#include "mil/ops/linalg/epilogue.hpp"
#include "mil/ops/linalg/float_operand.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

struct MatmulPlan {
    Shape out_shape;
    int64_t M = 0, N = 0, K = 0;
    bool trans_x = false, trans_y = false;
    std::vector<int64_t> offsets;
};

MatmulPlan plan_matmul(const RunContext& ctx, const Shape& xs, bool trans_x, const Shape& ys, bool trans_y) {
    if (xs.empty() || ys.empty())
        ctx.fail("x " + shape_to_string(xs) + " and y " + shape_to_string(ys) + " must both have rank >= 1");
    MatmulPlan p;
    const size_t rx = xs.size(), ry = ys.size();
    // Transposes have no effect on rank-1 operands.
    p.trans_x = trans_x && rx > 1;
    p.trans_y = trans_y && ry > 1;
    int64_t ky = 0;
    if (rx == 1) {
        p.M = 1, p.K = xs[0];
    } else {
        p.M = p.trans_x ? xs[rx - 1] : xs[rx - 2];
        p.K = p.trans_x ? xs[rx - 2] : xs[rx - 1];
    }
    if (ry == 1) {
        ky = ys[0], p.N = 1;
    } else {
        ky = p.trans_y ? ys[ry - 1] : ys[ry - 2];
        p.N = p.trans_y ? ys[ry - 2] : ys[ry - 1];
    }
    if (p.K != ky)
        ctx.fail("x " + shape_to_string(xs) + (trans_x ? " (transposed)" : "") + " and y " + shape_to_string(ys) +
                 (trans_y ? " (transposed)" : "") + " have different inner dimensions " + std::to_string(p.K) + " and " +
                 std::to_string(ky));
    const Shape xb(xs.begin(), xs.end() - std::min<size_t>(rx, 2)), yb(ys.begin(), ys.end() - std::min<size_t>(ry, 2));
    if (!broadcast_shapes({&xb, &yb}, p.out_shape))
        ctx.fail("batch dims of x " + shape_to_string(xs) + " and y " + shape_to_string(ys) + " do not broadcast");
    const Shape out_batch = p.out_shape;
    if (rx > 1) p.out_shape.push_back(p.M);
    if (ry > 1) p.out_shape.push_back(p.N);
    if (shape_numel(yb) == 1 && !p.trans_x) {
        // One right-hand matrix for every batch: stack x's batches into the rows of one product.
        p.M *= shape_numel(xb);
        p.offsets = {0, 0, 0};
    } else {
        p.offsets = batch_offsets(out_batch, xb, p.M * p.K, yb, p.K * p.N, p.M * p.N);
    }
    return p;
}

template <typename T>
kernels::GemmArgs<T> gemm_args(const MatmulPlan& p, const T* x, const T* y, T* out) {
    kernels::GemmArgs<T> g;
    g.M = p.M, g.N = p.N, g.K = p.K;
    g.trans_a = p.trans_x, g.trans_b = p.trans_y;
    g.A = x, g.lda = p.trans_x ? p.M : p.K;
    g.B = y, g.ldb = p.trans_y ? p.K : p.N;
    g.C = out, g.ldc = p.N;
    return g;
}

class MatmulKernel : public Kernel, public ClampFusable {
public:
    explicit MatmulKernel(const BuildContext& ctx)
        : trans_x_(ctx.const_bool("transpose_x", false)), trans_y_(ctx.const_bool("transpose_y", false)) {
        const DType tx = ctx.input("x").dtype, ty = ctx.input("y").dtype;
        for (DType t : {tx, ty})
            if (t != DType::Float16 && t != DType::Float32 && t != DType::Int32)
                ctx.fail(std::string("x and y must be fp16, fp32 or int32, got ") + dtype_name(t));
        integer_ = tx == DType::Int32 && ty == DType::Int32;
        if (!integer_) {
            x_ = F32Operand(ctx, "x");
            y_ = F32Operand(ctx, "y");
        }
    }

    bool fuse_clamp(float lo, float hi) override {
        if (integer_) return false;
        epilogue_ = {lo, hi};
        return true;
    }

    void run(RunContext& ctx) const override {
        const MatmulPlan p = plan_matmul(ctx, ctx.input("x").shape(), trans_x_, ctx.input("y").shape(), trans_y_);
        if (integer_) {
            Tensor& out = ctx.allocate_output(0, DType::Int32, p.out_shape);
            kernels::igemm_batched(gemm_args<int32_t>(p, ctx.input("x").data<int32_t>(), ctx.input("y").data<int32_t>(),
                                                      out.data<int32_t>()),
                                   p.offsets, &ctx.threads());
            return;
        }
        const Tensor x = x_.get(ctx), y = y_.get(ctx);
        F32Output out(ctx, 0, p.out_shape);
        kernels::sgemm_batched(gemm_args<float>(p, x.data<float>(), y.data<float>(), out.data()), p.offsets, &ctx.threads());
        epilogue_.apply(out.data(), shape_numel(p.out_shape));
        out.commit();
    }

private:
    bool trans_x_, trans_y_;
    bool integer_ = false;
    F32Operand x_, y_;
    Epilogue epilogue_;
};

// iOS17's revision only widens the allowed dtypes (one constant side may differ), which this
// kernel handles for every opset.
OCML_REGISTER_MIL_OP("matmul", kIOS15, [](const BuildContext& ctx) -> std::unique_ptr<Kernel> {
    return std::make_unique<MatmulKernel>(ctx);
})

}  // namespace
}  // namespace opencoreml::mil
