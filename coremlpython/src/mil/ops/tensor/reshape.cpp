// opencoreml ML program ops: reshape and reshape_like — zero-copy views of x with a new
// shape. reshape's target may hold one -1 (inferred) and 0s (copy a dim of x): up to iOS16 a
// 0 takes x's dim at the same position and needs len(shape) == rank(x); from iOS17 the 0s are
// matched from the right and a 0 with no counterpart becomes 1.
#include "mil/ops/tensor/shape_helpers.hpp"

namespace opencoreml::mil {

namespace {

Shape resolve_reshape(const RunContext& ctx, const Shape& from, std::vector<int64_t> to, bool right_aligned_zeros) {
    const size_t n_to = to.size(), n_from = from.size();
    for (size_t i = 0; i < n_to; ++i) {
        if (to[i] != 0) continue;
        if (right_aligned_zeros) {
            const size_t from_end = n_to - i;  // position counted from the right, 1-based
            to[i] = from_end <= n_from ? from[n_from - from_end] : 1;
        } else {
            if (n_to != n_from)
                ctx.fail("a 0 in shape " + shape_to_string(to) + " copies a dim of x, so shape needs x's rank " +
                         std::to_string(n_from));
            to[i] = from[i];
        }
    }
    int64_t known = 1;
    int inferred = -1;
    for (size_t i = 0; i < n_to; ++i) {
        if (to[i] == -1) {
            if (inferred >= 0) ctx.fail("shape " + shape_to_string(to) + " has more than one -1");
            inferred = static_cast<int>(i);
        } else if (to[i] < 0) {
            ctx.fail("shape " + shape_to_string(to) + " has a negative dim");
        } else {
            known *= to[i];
        }
    }
    const int64_t total = shape_numel(from);
    if (inferred >= 0) {
        if (known == 0 || total % known != 0)
            ctx.fail("cannot infer the -1 in shape " + shape_to_string(to) + " for an input of shape " + shape_to_string(from));
        to[static_cast<size_t>(inferred)] = total / known;
    }
    if (shape_numel(to) != total)
        ctx.fail("cannot reshape an input of shape " + shape_to_string(from) + " to " + shape_to_string(to));
    return to;
}

std::unique_ptr<Kernel> make_reshape(const BuildContext& b) {
    const bool right_aligned = b.opset() >= kIOS17;
    return make_kernel([right_aligned](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const Tensor& shape = ctx.input("shape");
        if (!is_index_dtype(shape.dtype()) || shape.rank() > 1) ctx.fail("shape must be a 1-D integer tensor");
        ctx.set_output(0, x.reshaped(resolve_reshape(ctx, x.shape(), int_values(shape), right_aligned)));
    });
}

// Python slice bounds [begin:end] (or [begin:] when to_end) of a list of `n` dims.
std::pair<int64_t, int64_t> slice_bounds(int64_t begin, int64_t end, bool to_end, int64_t n) {
    auto clamp = [n](int64_t v) { return std::min(n, std::max<int64_t>(0, v < 0 ? v + n : v)); };
    return {clamp(begin), to_end ? n : clamp(end)};
}

struct RefSlice {
    int64_t begin, end;
    bool to_end;
};

std::unique_ptr<Kernel> make_reshape_like(const BuildContext& b) {
    const size_t refs = b.input_count("ref_tensors");
    if (refs == 0) b.fail("needs at least one ref_tensors entry");
    if (b.input_count("begins") != refs || b.input_count("ends") != refs || b.input_count("end_masks") != refs)
        b.fail("ref_tensors, begins, ends and end_masks must have the same length");
    std::vector<RefSlice> slices;
    for (size_t i = 0; i < refs; ++i) {
        const Tensor* begin = b.input("begins", i).const_value;
        const Tensor* end = b.input("ends", i).const_value;
        const Tensor* mask = b.input("end_masks", i).const_value;
        if (!begin || !end || !mask || begin->numel() != 1 || end->numel() != 1 || mask->numel() != 1)
            b.fail("begins, ends and end_masks must be constant scalars");
        slices.push_back({int_values(*begin)[0], int_values(*end)[0], bool_values(*mask)[0] != 0});
    }
    return make_kernel([slices](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        Shape out;
        for (size_t i = 0; i < slices.size(); ++i) {
            const Shape& ref = ctx.input("ref_tensors", i).shape();
            const auto [lo, hi] = slice_bounds(slices[i].begin, slices[i].end, slices[i].to_end, static_cast<int64_t>(ref.size()));
            for (int64_t d = lo; d < hi; ++d) out.push_back(ref[static_cast<size_t>(d)]);
        }
        if (shape_numel(out) != x.numel())
            ctx.fail("the reference shape " + shape_to_string(out) + " does not hold the " + std::to_string(x.numel()) +
                     " elements of x " + shape_to_string(x.shape()));
        ctx.set_output(0, x.reshaped(out));
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("reshape", kIOS15, make_reshape)
OCML_REGISTER_MIL_OP("reshape_like", kIOS16, make_reshape_like)

}  // namespace opencoreml::mil
