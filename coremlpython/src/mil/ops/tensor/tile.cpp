// opencoreml ML program ops: tile — x repeated reps[i] times along each dim. Seen as a walk
// over [r0, d0, r1, d1, ...] whose repeat dims read x with stride 0.
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/ops/tensor/strided_copy.hpp"

namespace opencoreml::mil {

namespace {

std::unique_ptr<Kernel> make_tile(const BuildContext&) {
    return make_kernel([](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const std::vector<int64_t> reps = int_values(ctx.input("reps"));
        if (static_cast<int64_t>(reps.size()) != x.rank())
            ctx.fail("reps has " + std::to_string(reps.size()) + " entries for a rank-" + std::to_string(x.rank()) + " input");
        const std::vector<int64_t> strides = contiguous_strides(x.shape());
        Shape walk, out_shape;
        StridedView src{x.raw(), {}};
        for (size_t i = 0; i < reps.size(); ++i) {
            if (reps[i] < 0) ctx.fail("reps must not be negative");
            walk.push_back(reps[i]);
            src.strides.push_back(0);
            walk.push_back(x.shape()[i]);
            src.strides.push_back(strides[i]);
            out_shape.push_back(reps[i] * x.shape()[i]);
        }
        Tensor& out = ctx.allocate_output(0, x.dtype(), out_shape);
        gather_strided(dtype_size(x.dtype()), walk, src, out.raw(), &ctx.threads());
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("tile", kIOS15, make_tile)

}  // namespace opencoreml::mil
