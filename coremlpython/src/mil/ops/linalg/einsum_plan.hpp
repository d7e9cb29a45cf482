// opencoreml ML program ops: a two-operand einsum equation as a batched matrix product.
// Every label is a batch dim (in both inputs and the output), a row dim M (x and output), a
// column dim N (y and output) or a contracted dim K (both inputs, not the output). The product
// then reads x as [batch..., M..., K...] and y as [batch..., K..., N...] and writes
// [batch..., M..., N...], which is permuted into the output's label order. This covers MIL's
// forms ("nchw,nwhu->nchu", "chw,whr->chr" and their relabellings) and every other equation
// of that kind; labels summed out of a single input, repeated labels and "..." are not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace opencoreml::mil {

struct EinsumPlan {
    size_t x_rank = 0, y_rank = 0;
    // Axes of x for [batch..., M..., K...] and of y for [batch..., K..., N...].
    std::vector<int64_t> x_perm, y_perm;
    size_t batch = 0, m = 0, k = 0, n = 0;  // label counts per role
    // Output dim i is dim out_perm[i] of the [batch..., M..., N...] product.
    std::vector<int64_t> out_perm;
};

// Parses `equation` ("ab,bc->ac"; without "->" the output is the labels used once, sorted,
// as numpy does). Returns false with `error` set when it is malformed or not a product.
bool plan_einsum(const std::string& equation, EinsumPlan& plan, std::string& error);

}  // namespace opencoreml::mil
