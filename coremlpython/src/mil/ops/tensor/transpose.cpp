// opencoreml ML program ops: transpose — x with its dims permuted by `perm`. A permutation
// that only moves unit dims keeps the element order, so it is a zero-copy view.
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/ops/tensor/strided_copy.hpp"

namespace opencoreml::mil {

namespace {

std::unique_ptr<Kernel> make_transpose(const BuildContext& b) {
    const std::vector<int64_t> raw = b.const_ints("perm");
    return make_kernel([raw](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        if (static_cast<int64_t>(raw.size()) != x.rank())
            ctx.fail("perm has " + std::to_string(raw.size()) + " entries for a rank-" + std::to_string(x.rank()) + " input");
        std::vector<int64_t> perm;
        std::vector<char> seen(raw.size(), 0);
        Shape out_shape;
        for (int64_t p : raw) {
            const int64_t a = normalize_axis(ctx, p, x.rank(), "perm entry");
            if (seen[static_cast<size_t>(a)]) ctx.fail("perm is not a permutation");
            seen[static_cast<size_t>(a)] = 1;
            perm.push_back(a);
            out_shape.push_back(x.shape()[static_cast<size_t>(a)]);
        }
        int64_t last = -1;
        bool order_kept = true;
        for (int64_t a : perm) {
            if (x.shape()[static_cast<size_t>(a)] == 1) continue;
            if (a < last) order_kept = false;
            last = a;
        }
        if (order_kept) {
            ctx.set_output(0, x.reshaped(out_shape));
            return;
        }
        Tensor& out = ctx.allocate_output(0, x.dtype(), out_shape);
        permute_copy(dtype_size(x.dtype()), x.shape(), perm, x.raw(), out.raw(), &ctx.threads());
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("transpose", kIOS15, make_transpose)

}  // namespace opencoreml::mil
