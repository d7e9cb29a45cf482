// opencoreml ML program ops: shape and parameter helpers shared by the tensor, reduction and
// normalisation kernels — axis normalisation, integer/bool parameter decoding (any integer
// dtype, as iOS17 widened index types), row-major strides and the outer/axis/inner split.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

// `axis` in [-rank, rank) mapped to [0, rank); Ctx is BuildContext or RunContext, whose
// fail() names the op.
template <class Ctx>
int64_t normalize_axis(const Ctx& ctx, int64_t axis, int64_t rank, const char* what = "axis") {
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
        ctx.fail(std::string(what) + " " + std::to_string(axis) + " is out of range for a rank-" + std::to_string(rank) + " input");
    return a;
}

// Values of an integer or bool tensor as int64 (empty for non-integer dtypes: check is_index_dtype).
bool is_index_dtype(DType dtype);
std::vector<int64_t> int_values(const Tensor& t);
// Values of a bool (or integer) tensor, nonzero = true.
std::vector<char> bool_values(const Tensor& t);

// Row-major element strides of `shape`.
std::vector<int64_t> contiguous_strides(const Shape& shape);
// Product of shape[begin:end].
int64_t dims_product(const Shape& shape, size_t begin, size_t end);

// A tensor seen as [outer, n, inner] around one axis.
struct AxisSplit {
    int64_t outer = 1, n = 1, inner = 1;
};
AxisSplit split_at_axis(const Shape& shape, int64_t axis);

// An axes parameter read at load (`present` false when the op omits it: every axis), resolved
// against the rank seen at run time: normalised, sorted, checked to be distinct.
struct AxesParam {
    bool present = false;
    std::vector<int64_t> raw;
    static AxesParam read(const BuildContext& ctx, const std::string& param);
    template <class Ctx>
    std::vector<int64_t> resolve(const Ctx& ctx, int64_t rank, const char* what = "axes") const;
};

template <class Ctx>
std::vector<int64_t> AxesParam::resolve(const Ctx& ctx, int64_t rank, const char* what) const {
    std::vector<int64_t> axes;
    if (!present) {
        for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
        return axes;
    }
    for (int64_t a : raw) axes.push_back(normalize_axis(ctx, a, rank, what));
    std::sort(axes.begin(), axes.end());
    if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) ctx.fail(std::string(what) + " repeats an axis");
    return axes;
}

}  // namespace opencoreml::mil
