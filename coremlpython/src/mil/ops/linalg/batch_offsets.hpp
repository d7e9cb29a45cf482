// opencoreml ML program ops: numpy broadcasting over the batch dimensions of a batched
// matrix product (matmul, einsum): the element offsets of every product's A, B and C.
#pragma once

#include <cstdint>
#include <vector>

#include "opencoreml/tensor.hpp"

namespace opencoreml::mil {

// Offsets (A, B, C per product, as kernels::sgemm_batched takes them) for the batch shape
// `out_batch`, where A has batch dims `a_batch` (right-aligned, 1 = broadcast) and matrices
// of a_matrix elements, and likewise B; C is contiguous with c_matrix elements per product.
std::vector<int64_t> batch_offsets(const Shape& out_batch, const Shape& a_batch, int64_t a_matrix, const Shape& b_batch,
                                   int64_t b_matrix, int64_t c_matrix);

}  // namespace opencoreml::mil
