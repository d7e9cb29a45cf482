// opencoreml ML program ops: how a reduction over a set of axes walks its input. When the
// reduced dims form one block (ignoring unit dims) the input is read in place as
// [outer, reduced, inner]; otherwise it is first permuted so the kept dims lead and the
// reduced dims trail ([outer, reduced, 1]).
#pragma once

#include <cstdint>
#include <vector>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

struct ReducePlan {
    Shape out_shape;              // keep_dims applied
    int64_t outer = 1, reduced = 1, inner = 1;
    bool permute = false;         // input must be permuted by `perm` first
    std::vector<int64_t> perm;
};

// `axes` sorted, distinct, in [0, rank).
ReducePlan plan_reduce(const Shape& shape, const std::vector<int64_t>& axes, bool keep_dims);

// The input laid out as the plan reads it: `x` itself, or a permuted copy in scratch memory.
Tensor reduce_layout(RunContext& ctx, const Tensor& x, const ReducePlan& plan);

}  // namespace opencoreml::mil
