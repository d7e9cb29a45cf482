// opencoreml ML program ops: padding a tensor (used by pad and space_to_batch). Each output
// index along a dim maps to an input index, or to "fill" (constant mode); reflect mirrors
// without repeating the edge, replicate repeats the edge.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

enum class PadMode { Constant, Reflect, Replicate };

// pads[2*i], pads[2*i+1]: before/after amounts for dim i (all dims). Empty when the amounts
// suit the mode, else what is wrong (negative amounts; reflect needs amounts < dim,
// replicate a non-empty dim).
std::string pad_problem(const Shape& shape, const std::vector<int64_t>& pads, PadMode mode);
Shape padded_shape(const Shape& shape, const std::vector<int64_t>& pads);

// out (of padded_shape) = x padded; `fill` points to one element of x's dtype (constant mode).
void pad_tensor(const Tensor& x, const std::vector<int64_t>& pads, PadMode mode, const void* fill, Tensor& out,
                ThreadPool& pool);

}  // namespace opencoreml::mil
