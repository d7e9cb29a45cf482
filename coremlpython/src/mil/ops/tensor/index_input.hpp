// opencoreml ML program ops: index tensors of gather/scatter ops. Indices may use any integer
// dtype (iOS16/17 widened them); negative values count from the end of the indexed dim, and
// anything still out of range is an error naming the op rather than a wild read or write.
#pragma once

#include <string>
#include <vector>

#include "mil/op_api.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"

namespace opencoreml::mil {

// Values of `param` as int64, checked to be an integer tensor.
inline std::vector<int64_t> index_values(const RunContext& ctx, const char* param) {
    const Tensor& t = ctx.input(param);
    if (!is_integer(t.dtype())) ctx.fail(std::string(param) + " must be an integer tensor, got " + dtype_name(t.dtype()));
    return int_values(t);
}

// Wraps negatives into [0, n) and checks the range; `v` is one index into a dim of length n.
inline void wrap_index(const RunContext& ctx, int64_t& v, int64_t n, const char* what) {
    const int64_t w = v < 0 ? v + n : v;
    if (w < 0 || w >= n)
        ctx.fail(std::string(what) + " " + std::to_string(v) + " is out of range for a dim of length " + std::to_string(n));
    v = w;
}

}  // namespace opencoreml::mil
