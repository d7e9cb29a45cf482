// opencoreml ML program ops: shape-only ops that never move data — expand_dims, squeeze and
// flatten2d return views of x with another shape; shape returns x's dims as int32.
#include <algorithm>

#include "mil/ops/tensor/shape_helpers.hpp"

namespace opencoreml::mil {

namespace {

std::unique_ptr<Kernel> make_expand_dims(const BuildContext& b) {
    const std::vector<int64_t> axes = b.const_ints("axes");
    return make_kernel([axes](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const int64_t out_rank = x.rank() + static_cast<int64_t>(axes.size());
        std::vector<char> inserted(static_cast<size_t>(out_rank), 0);
        for (int64_t a : axes) {
            const int64_t p = normalize_axis(ctx, a, out_rank, "axes entry");
            if (inserted[static_cast<size_t>(p)]) ctx.fail("axes repeats an axis");
            inserted[static_cast<size_t>(p)] = 1;
        }
        Shape out;
        size_t next = 0;
        for (int64_t i = 0; i < out_rank; ++i) out.push_back(inserted[static_cast<size_t>(i)] ? 1 : x.shape()[next++]);
        ctx.set_output(0, x.reshaped(out));
    });
}

std::unique_ptr<Kernel> make_squeeze(const BuildContext& b) {
    const AxesParam axes = AxesParam::read(b, "axes");
    return make_kernel([axes](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        std::vector<char> drop(x.shape().size(), 0);
        // Listed dims that are not 1 stay (PyTorch's rule); no list drops every 1.
        for (int64_t a : axes.resolve(ctx, x.rank())) drop[static_cast<size_t>(a)] = 1;
        Shape out;
        for (size_t i = 0; i < x.shape().size(); ++i)
            if (!(drop[i] && x.shape()[i] == 1)) out.push_back(x.shape()[i]);
        ctx.set_output(0, x.reshaped(out));
    });
}

std::unique_ptr<Kernel> make_flatten2d(const BuildContext& b) {
    const int64_t axis = b.const_int("axis", 1);
    return make_kernel([axis](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const int64_t a = axis < 0 ? axis + x.rank() : axis;
        if (a < 0 || a > x.rank()) ctx.fail("axis " + std::to_string(axis) + " is out of range for a rank-" + std::to_string(x.rank()) + " input");
        const size_t split = static_cast<size_t>(a);
        ctx.set_output(0, x.reshaped({dims_product(x.shape(), 0, split), dims_product(x.shape(), split, x.shape().size())}));
    });
}

std::unique_ptr<Kernel> make_shape(const BuildContext&) {
    return make_kernel([](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        Tensor& out = ctx.allocate_output(0, DType::Int32, {x.rank()});
        int32_t* d = out.data<int32_t>();
        for (size_t i = 0; i < x.shape().size(); ++i) d[i] = static_cast<int32_t>(x.shape()[i]);
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("expand_dims", kIOS15, make_expand_dims)
OCML_REGISTER_MIL_OP("squeeze", kIOS15, make_squeeze)
OCML_REGISTER_MIL_OP("flatten2d", kIOS15, make_flatten2d)
OCML_REGISTER_MIL_OP("shape", kIOS15, make_shape)

}  // namespace opencoreml::mil
