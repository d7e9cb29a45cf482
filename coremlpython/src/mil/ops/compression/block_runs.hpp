// opencoreml ML program compression ops: walking a tensor in runs of elements that share one
// quantization parameter. Per-tensor, per-channel (axis) and block-wise (iOS18) scales are all
// the same thing here: a parameter tensor whose every dimension divides the data's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "opencoreml/tensor.hpp"

namespace opencoreml::mil::compression {

// The shape, of the data's rank, that a scalar or per-`axis` vector parameter (shape
// `param_shape`) broadcasts as; `ok` is false when the vector does not match data_shape[axis].
Shape per_axis_param_shape(const Shape& data_shape, const Shape& param_shape, int64_t axis, bool& ok);

// True when every dimension of `param_shape` (same rank) divides the data's.
bool divides(const Shape& data_shape, const Shape& param_shape);

// Calls fn(offset, count, param_index) for each run of `count` consecutive elements starting at
// flat element `offset` of a tensor of `shape` that all use parameter `param_index` (flat index
// into a tensor of `param_shape`). Runs are visited in memory order.
template <typename Fn>
void for_each_block_run(const Shape& shape, const Shape& param_shape, Fn&& fn) {
    const size_t rank = shape.size();
    const int64_t numel = shape_numel(shape);
    if (numel == 0) return;
    if (rank == 0) {
        fn(int64_t{0}, int64_t{1}, int64_t{0});
        return;
    }
    std::vector<int64_t> block(rank), pstride(rank, 1), idx(rank, 0);
    for (size_t d = 0; d < rank; ++d) block[d] = shape[d] / param_shape[d];
    for (size_t d = rank - 1; d > 0; --d) pstride[d - 1] = pstride[d] * param_shape[d];
    const int64_t last = shape[rank - 1], last_blocks = param_shape[rank - 1], run = block[rank - 1];
    const int64_t rows = numel / last;
    for (int64_t row = 0; row < rows; ++row) {
        int64_t base = 0;
        for (size_t d = 0; d + 1 < rank; ++d) base += (idx[d] / block[d]) * pstride[d];
        for (int64_t kb = 0; kb < last_blocks; ++kb) fn(row * last + kb * run, run, base + kb);
        for (size_t d = rank - 1; d-- > 0;) {  // next row: odometer over the outer axes
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
}

}  // namespace opencoreml::mil::compression
