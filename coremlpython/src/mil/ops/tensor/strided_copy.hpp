// opencoreml ML program ops: the data-movement primitive behind transpose, slicing, tiling,
// reversing, sliding windows and the space/depth/batch rearrangements. Any of these is a walk
// over an index space where each element's source and destination offsets are linear in the
// index (strides in elements; a source stride may be 0 to repeat or negative to reverse).
// Copies are by element size only, so one routine serves every dtype.
#pragma once

#include <cstdint>
#include <vector>

#include "opencoreml/tensor.hpp"

namespace opencoreml::mil {

class ThreadPool;

struct StridedView {
    const void* base = nullptr;        // element at index (0, ..., 0)
    std::vector<int64_t> strides;      // per dim of the walked shape
};

// dst[index . dst_strides] = src[index . src.strides] for every index of `shape`.
// Adjacent dims that are contiguous in both are merged; inner runs contiguous in both become
// memcpy; large copies are split across `pool` (nullptr: serial).
void strided_copy(size_t elem_size, const Shape& shape, const StridedView& src, void* dst,
                  const std::vector<int64_t>& dst_strides, ThreadPool* pool);

// Contiguous output of `shape` from a strided source.
void gather_strided(size_t elem_size, const Shape& shape, const StridedView& src, void* dst, ThreadPool* pool);

// out = x with its dims permuted (out dim i is x dim perm[i]); out must hold x.numel() elements.
void permute_copy(size_t elem_size, const Shape& x_shape, const std::vector<int64_t>& perm, const void* x, void* out,
                  ThreadPool* pool);

}  // namespace opencoreml::mil
