// opencoreml ML program ops: reduction walk planning (see reduce_plan.hpp).
#include "mil/ops/reduce/reduce_plan.hpp"

#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/ops/tensor/strided_copy.hpp"

namespace opencoreml::mil {

ReducePlan plan_reduce(const Shape& shape, const std::vector<int64_t>& axes, bool keep_dims) {
    ReducePlan plan;
    const size_t rank = shape.size();
    std::vector<char> reduced(rank, 0);
    for (int64_t a : axes) reduced[static_cast<size_t>(a)] = 1;
    for (size_t i = 0; i < rank; ++i) {
        if (!reduced[i]) plan.out_shape.push_back(shape[i]);
        else if (keep_dims) plan.out_shape.push_back(1);
    }
    // Unit dims can be read as either kind; only a kept dim > 1 between reduced dims > 1
    // forces the permutation.
    int first = -1, last = -1;
    for (size_t i = 0; i < rank; ++i)
        if (reduced[i] && shape[i] != 1) {
            if (first < 0) first = static_cast<int>(i);
            last = static_cast<int>(i);
        }
    bool interleaved = false;
    for (int i = first + 1; first >= 0 && i < last; ++i)
        if (!reduced[static_cast<size_t>(i)] && shape[static_cast<size_t>(i)] != 1) interleaved = true;
    if (!interleaved) {
        const size_t lo = first < 0 ? rank : static_cast<size_t>(first);
        const size_t hi = first < 0 ? rank : static_cast<size_t>(last) + 1;
        plan.outer = dims_product(shape, 0, lo);
        plan.reduced = dims_product(shape, lo, hi);
        plan.inner = dims_product(shape, hi, rank);
        if (first < 0) {  // only unit dims reduced (or none): every element is its own result
            plan.outer = shape_numel(shape);
            plan.reduced = 1;
            plan.inner = 1;
        }
        return plan;
    }
    plan.permute = true;
    for (size_t i = 0; i < rank; ++i)
        if (!reduced[i]) {
            plan.perm.push_back(static_cast<int64_t>(i));
            plan.outer *= shape[i];
        }
    for (size_t i = 0; i < rank; ++i)
        if (reduced[i]) {
            plan.perm.push_back(static_cast<int64_t>(i));
            plan.reduced *= shape[i];
        }
    return plan;
}

Tensor reduce_layout(RunContext& ctx, const Tensor& x, const ReducePlan& plan) {
    if (!plan.permute) return x;
    Tensor t = ctx.scratch(x.dtype(), x.shape());
    permute_copy(dtype_size(x.dtype()), x.shape(), plan.perm, x.raw(), t.raw(), &ctx.threads());
    return t;
}

}  // namespace opencoreml::mil
