// opencoreml ML program ops: slice resolution (see slice_spec.hpp).
#include "mil/ops/tensor/slice_spec.hpp"

#include <algorithm>

#include "mil/ops/tensor/shape_helpers.hpp"

namespace opencoreml::mil {

namespace {

template <typename T>
T at_or(const std::vector<T>& v, size_t i, T fallback) {
    return i < v.size() ? v[i] : fallback;
}

// Clamps a bound like Python's slice.indices: into [0, n] for positive steps, [-1, n-1] for
// negative ones (-1 then means "before the first element").
int64_t clamp_bound(int64_t v, int64_t n, int64_t step) {
    if (v < 0) v += n;
    if (step > 0) return std::min(std::max<int64_t>(v, 0), n);
    return std::min(std::max<int64_t>(v, -1), n - 1);
}

}  // namespace

IndexSliceParams IndexSliceParams::read(const BuildContext& ctx) {
    IndexSliceParams p;
    if (ctx.has_input("stride")) p.stride = ctx.const_ints("stride");
    if (ctx.has_input("begin_mask")) p.begin_mask = bool_values(ctx.const_tensor("begin_mask"));
    if (ctx.has_input("end_mask")) p.end_mask = bool_values(ctx.const_tensor("end_mask"));
    if (ctx.has_input("squeeze_mask")) p.squeeze_mask = bool_values(ctx.const_tensor("squeeze_mask"));
    return p;
}

std::string resolve_index_slice(const Shape& x_shape, const std::vector<int64_t>& begin, const std::vector<int64_t>& end,
                                const IndexSliceParams& p, SliceWalk& walk) {
    const size_t rank = x_shape.size();
    if (begin.size() != rank || end.size() != rank)
        return "begin and end need " + std::to_string(rank) + " entries (the rank of x), got " + std::to_string(begin.size()) +
               " and " + std::to_string(end.size());
    for (const auto* v : {&p.begin_mask, &p.end_mask, &p.squeeze_mask})
        if (!v->empty() && v->size() != rank) return "masks need one entry per dim of x";
    if (!p.stride.empty() && p.stride.size() != rank) return "stride needs one entry per dim of x";
    const std::vector<int64_t> x_strides = contiguous_strides(x_shape);
    walk = SliceWalk{};
    for (size_t d = 0; d < rank; ++d) {
        const int64_t n = x_shape[d];
        int64_t start, count, step = at_or<int64_t>(p.stride, d, 1);
        if (at_or<char>(p.squeeze_mask, d, 0)) {
            start = begin[d] < 0 ? begin[d] + n : begin[d];
            if (start < 0 || start >= n)
                return "index " + std::to_string(begin[d]) + " is out of range for dim " + std::to_string(d) + " of length " + std::to_string(n);
            count = 1;
            step = 1;
        } else {
            if (step == 0) return "stride must not be 0";
            start = at_or<char>(p.begin_mask, d, 0) ? (step > 0 ? 0 : n - 1) : clamp_bound(begin[d], n, step);
            const int64_t stop = at_or<char>(p.end_mask, d, 0) ? (step > 0 ? n : -1) : clamp_bound(end[d], n, step);
            count = step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step;
            count = std::max<int64_t>(0, count);
            walk.result_shape.push_back(count);
        }
        walk.counts.push_back(count);
        walk.strides.push_back(step * x_strides[d]);
        if (count > 0) walk.base += start * x_strides[d];
    }
    return "";
}

std::string resolve_size_slice(const Shape& x_shape, const std::vector<int64_t>& begin, const std::vector<int64_t>& size,
                               SliceWalk& walk) {
    const size_t rank = x_shape.size();
    if (begin.size() != rank || size.size() != rank)
        return "begin and size need " + std::to_string(rank) + " entries (the rank of x), got " + std::to_string(begin.size()) +
               " and " + std::to_string(size.size());
    const std::vector<int64_t> x_strides = contiguous_strides(x_shape);
    walk = SliceWalk{};
    for (size_t d = 0; d < rank; ++d) {
        const int64_t n = x_shape[d];
        const int64_t start = begin[d] < 0 ? begin[d] + n : begin[d];
        const int64_t count = size[d] == -1 ? n - start : size[d];
        if (start < 0 || count < 0 || start + count > n)
            return "begin " + std::to_string(begin[d]) + " and size " + std::to_string(size[d]) + " do not fit dim " +
                   std::to_string(d) + " of length " + std::to_string(n);
        walk.counts.push_back(count);
        walk.result_shape.push_back(count);
        walk.strides.push_back(x_strides[d]);
        if (count > 0) walk.base += start * x_strides[d];
    }
    return "";
}

}  // namespace opencoreml::mil
