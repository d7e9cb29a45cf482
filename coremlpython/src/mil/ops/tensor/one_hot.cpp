// opencoreml ML program ops: one_hot — a new axis of length one_hot_vector_size (a runtime
// input) inserted at `axis`, holding on_value at each index and off_value elsewhere. Indices
// outside [0, size) give an all-off vector, as in TensorFlow.
#include <cstring>

#include "mil/ops/tensor/index_input.hpp"

namespace opencoreml::mil {

namespace {

std::unique_ptr<Kernel> make_one_hot(const BuildContext& b) {
    const int64_t axis = b.const_int("axis", -1);
    const double on = b.const_float("on_value", 1.0), off = b.const_float("off_value", 0.0);
    return make_kernel([axis, on, off](RunContext& ctx) {
        const Tensor& indices = ctx.input("indices");
        const std::vector<int64_t> idx = index_values(ctx, "indices");
        const std::vector<int64_t> size_v = index_values(ctx, "one_hot_vector_size");
        if (size_v.size() != 1 || size_v[0] < 0) ctx.fail("one_hot_vector_size must be one non-negative integer");
        const int64_t depth = size_v[0];
        const int64_t rank = indices.rank();
        const int64_t a = axis < 0 ? axis + rank + 1 : axis;
        if (a < 0 || a > rank) ctx.fail("axis " + std::to_string(axis) + " is out of range for rank-" + std::to_string(rank) + " indices");
        Shape out_shape = indices.shape();
        out_shape.insert(out_shape.begin() + a, depth);
        const DType dt = ctx.output_dtype(0);
        const Tensor on_t = Tensor::scalar(on).to(dt), off_t = Tensor::scalar(off).to(dt);
        Tensor& out = ctx.allocate_output(0, dt, out_shape);
        const size_t es = dtype_size(dt);
        uint8_t* dst = static_cast<uint8_t*>(out.raw());
        for (int64_t i = 0; i < out.numel(); ++i) std::memcpy(dst + static_cast<size_t>(i) * es, off_t.raw(), es);
        // indices as [outer, inner] around the insertion point; output [outer, depth, inner].
        const int64_t inner = dims_product(indices.shape(), static_cast<size_t>(a), indices.shape().size());
        for (size_t p = 0; p < idx.size(); ++p) {
            const int64_t v = idx[p];
            if (v < 0 || v >= depth) continue;
            const int64_t o = static_cast<int64_t>(p) / std::max<int64_t>(1, inner), i = static_cast<int64_t>(p) % std::max<int64_t>(1, inner);
            std::memcpy(dst + static_cast<size_t>((o * depth + v) * inner + i) * es, on_t.raw(), es);
        }
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("one_hot", kIOS15, make_one_hot)

}  // namespace opencoreml::mil
