// opencoreml ML program ops: einsum over two fp16/fp32 operands (see einsum_plan.hpp):
// operands are permuted into matrix-product layout when their labels are not already in that
// order, multiplied as a broadcast batched GEMM, and the product permuted into the output.
#include "kernels/gemm.hpp"
#include "mil/ops/linalg/batch_offsets.hpp"
#include "mil/ops/linalg/einsum_plan.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/tensor/strided_copy.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

bool is_identity(const std::vector<int64_t>& perm) {
    for (size_t i = 0; i < perm.size(); ++i)
        if (perm[i] != static_cast<int64_t>(i)) return false;
    return true;
}

Shape permuted(const Shape& shape, const std::vector<int64_t>& perm) {
    Shape out;
    for (int64_t p : perm) out.push_back(shape[static_cast<size_t>(p)]);
    return out;
}

int64_t product(const Shape& s, size_t begin, size_t end) {
    int64_t n = 1;
    for (size_t i = begin; i < end; ++i) n *= s[i];
    return n;
}

class EinsumKernel : public Kernel {
public:
    explicit EinsumKernel(const BuildContext& ctx) {
        if (ctx.input_count("values") != 2) ctx.fail("values must hold exactly two tensors");
        for (size_t i = 0; i < 2; ++i) {
            const DType t = ctx.input("values", i).dtype;
            if (t != DType::Float16 && t != DType::Float32)
                ctx.fail(std::string("values must be fp16 or fp32, got ") + dtype_name(t));
        }
        std::string error;
        if (!plan_einsum(ctx.const_string("equation"), plan_, error)) ctx.unsupported(error);
    }

    void run(RunContext& ctx) const override {
        const Shape& xs = ctx.input("values", 0).shape();
        const Shape& ys = ctx.input("values", 1).shape();
        if (xs.size() != plan_.x_rank || ys.size() != plan_.y_rank)
            ctx.fail("operands " + shape_to_string(xs) + " and " + shape_to_string(ys) +
                     " do not have the ranks of the equation's terms");
        const Tensor x = in_product_layout(ctx, 0, plan_.x_perm), y = in_product_layout(ctx, 1, plan_.y_perm);
        const Shape xp = x.shape(), yp = y.shape();
        const size_t nb = plan_.batch, nm = plan_.m, nk = plan_.k;
        Shape out_batch(nb);
        for (size_t i = 0; i < nb; ++i) {
            if (xp[i] != yp[i] && xp[i] != 1 && yp[i] != 1)
                ctx.fail("batch dims of " + shape_to_string(xs) + " and " + shape_to_string(ys) + " do not broadcast");
            out_batch[i] = xp[i] == 1 ? yp[i] : xp[i];
        }
        for (size_t i = 0; i < nk; ++i)
            if (xp[nb + nm + i] != yp[nb + i])
                ctx.fail("contracted dims of " + shape_to_string(xs) + " and " + shape_to_string(ys) + " differ");
        kernels::GemmArgs<float> g;
        g.M = product(xp, nb, nb + nm), g.K = product(xp, nb + nm, xp.size()), g.N = product(yp, nb + nk, yp.size());
        g.lda = g.K, g.ldb = g.N, g.ldc = g.N;
        Shape product_shape = out_batch;
        product_shape.insert(product_shape.end(), xp.begin() + nb, xp.begin() + nb + nm);
        product_shape.insert(product_shape.end(), yp.begin() + nb + nk, yp.end());
        const Shape xb(xp.begin(), xp.begin() + nb), yb(yp.begin(), yp.begin() + nb);
        const std::vector<int64_t> offsets = batch_offsets(out_batch, xb, g.M * g.K, yb, g.K * g.N, g.M * g.N);
        g.A = x.data<float>(), g.B = y.data<float>();
        if (is_identity(plan_.out_perm)) {
            F32Output out(ctx, 0, product_shape);
            g.C = out.data();
            kernels::sgemm_batched(g, offsets, &ctx.threads());
            out.commit();
            return;
        }
        Tensor c = ctx.scratch(DType::Float32, product_shape);
        g.C = c.data<float>();
        kernels::sgemm_batched(g, offsets, &ctx.threads());
        F32Output out(ctx, 0, permuted(product_shape, plan_.out_perm));
        permute_copy(sizeof(float), product_shape, plan_.out_perm, c.data<float>(), out.data(), &ctx.threads());
        out.commit();
    }

private:
    Tensor in_product_layout(RunContext& ctx, size_t operand, const std::vector<int64_t>& perm) const {
        const Tensor t = ctx.input_f32("values", operand);
        if (is_identity(perm)) return t;
        Tensor out = ctx.scratch(DType::Float32, permuted(t.shape(), perm));
        permute_copy(sizeof(float), t.shape(), perm, t.data<float>(), out.data<float>(), &ctx.threads());
        return out;
    }

    EinsumPlan plan_;
};

OCML_REGISTER_MIL_OP("einsum", kIOS15, [](const BuildContext& ctx) -> std::unique_ptr<Kernel> {
    return std::make_unique<EinsumKernel>(ctx);
})

}  // namespace
}  // namespace opencoreml::mil
