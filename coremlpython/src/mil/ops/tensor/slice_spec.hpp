// opencoreml ML program ops: resolving numpy-style slices (slice_by_index, slice_update) and
// begin/size slices (slice_by_size) into a strided walk over x: per dim a start, step and
// count, plus which dims an index (squeeze_mask) removes from the result.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mil/op_api.hpp"
#include "mil/ops/tensor/strided_copy.hpp"

namespace opencoreml::mil {

struct SliceWalk {
    Shape counts;                  // walk shape (squeezed dims count 1)
    Shape result_shape;            // counts without the squeezed dims
    int64_t base = 0;              // element offset of the first selected element
    std::vector<int64_t> strides;  // element strides of the walk in x
};

// The constant parts of slice_by_index / slice_update, read at load (empty = all default).
struct IndexSliceParams {
    std::vector<int64_t> stride;
    std::vector<char> begin_mask, end_mask, squeeze_mask;
    static IndexSliceParams read(const BuildContext& ctx);
};

// Python slicing semantics per dim (negative indices count from the end, out-of-range bounds
// clamp). Returns an empty string on success, else the problem.
std::string resolve_index_slice(const Shape& x_shape, const std::vector<int64_t>& begin, const std::vector<int64_t>& end,
                                const IndexSliceParams& p, SliceWalk& walk);
std::string resolve_size_slice(const Shape& x_shape, const std::vector<int64_t>& begin, const std::vector<int64_t>& size,
                               SliceWalk& walk);

inline StridedView slice_source(const Tensor& x, const SliceWalk& w) {
    return StridedView{static_cast<const uint8_t*>(x.raw()) + w.base * static_cast<int64_t>(dtype_size(x.dtype())), w.strides};
}

}  // namespace opencoreml::mil
