// opencoreml ML program ops: strided element copies (see strided_copy.hpp).
#include "mil/ops/tensor/strided_copy.hpp"

#include <cstring>

#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

// Elements per parallel chunk: below this, thread hand-off costs more than the copy.
constexpr int64_t kCopyGrain = 1 << 15;

struct Walk {
    Shape dims;
    std::vector<int64_t> src, dst;
};

// Drops unit dims and merges neighbours that are contiguous in both source and destination,
// so most walks end up with one or two dims.
Walk simplify(const Shape& shape, const std::vector<int64_t>& src, const std::vector<int64_t>& dst) {
    Walk w;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == 1) continue;
        if (!w.dims.empty() && w.src.back() == src[i] * shape[i] && w.dst.back() == dst[i] * shape[i]) {
            w.dims.back() *= shape[i];
            w.src.back() = src[i];
            w.dst.back() = dst[i];
            continue;
        }
        w.dims.push_back(shape[i]);
        w.src.push_back(src[i]);
        w.dst.push_back(dst[i]);
    }
    if (w.dims.empty()) {  // a single element
        w.dims = {1};
        w.src = {1};
        w.dst = {1};
    }
    return w;
}

template <typename E>
void copy_run(const E* s, int64_t ss, E* d, int64_t ds, int64_t n) {
    if (ds == 1) {
        for (int64_t i = 0; i < n; ++i) d[i] = s[i * ss];
    } else {
        for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
    }
}

// Copies rows [row_begin, row_end) of the walk; a row is the innermost dim.
template <typename E>
void copy_rows(const Walk& w, const E* src, E* dst, int64_t row_begin, int64_t row_end) {
    const size_t outer_dims = w.dims.size() - 1;
    const int64_t n = w.dims.back(), ss = w.src.back(), ds = w.dst.back();
    std::vector<int64_t> index(outer_dims, 0);
    int64_t so = 0, dof = 0;
    int64_t rem = row_begin;
    for (size_t d = outer_dims; d-- > 0;) {
        index[d] = rem % w.dims[d];
        rem /= w.dims[d];
        so += index[d] * w.src[d];
        dof += index[d] * w.dst[d];
    }
    const bool contiguous = ss == 1 && ds == 1;
    for (int64_t row = row_begin; row < row_end; ++row) {
        if (contiguous) std::memcpy(dst + dof, src + so, static_cast<size_t>(n) * sizeof(E));
        else copy_run(src + so, ss, dst + dof, ds, n);
        for (size_t d = outer_dims; d-- > 0;) {
            so += w.src[d];
            dof += w.dst[d];
            if (++index[d] < w.dims[d]) break;
            so -= w.src[d] * w.dims[d];
            dof -= w.dst[d] * w.dims[d];
            index[d] = 0;
        }
    }
}

template <typename E>
void run_walk(const Walk& w, const void* src, void* dst, ThreadPool* pool) {
    const E* s = static_cast<const E*>(src);
    E* d = static_cast<E*>(dst);
    const int64_t rows = dims_product(w.dims, 0, w.dims.size() - 1);
    const int64_t row_len = w.dims.back();
    if (!pool || rows < 2 || rows * row_len < 2 * kCopyGrain) {
        copy_rows(w, s, d, 0, rows);
        return;
    }
    const int64_t grain = std::max<int64_t>(1, kCopyGrain / std::max<int64_t>(1, row_len));
    pool->parallel_for(rows, grain, [&](int64_t b, int64_t e) { copy_rows(w, s, d, b, e); });
}

}  // namespace

void strided_copy(size_t elem_size, const Shape& shape, const StridedView& src, void* dst,
                  const std::vector<int64_t>& dst_strides, ThreadPool* pool) {
    if (shape_numel(shape) == 0) return;
    const Walk w = simplify(shape, src.strides, dst_strides);
    switch (elem_size) {
        case 1: run_walk<uint8_t>(w, src.base, dst, pool); break;
        case 2: run_walk<uint16_t>(w, src.base, dst, pool); break;
        case 4: run_walk<uint32_t>(w, src.base, dst, pool); break;
        case 8: run_walk<uint64_t>(w, src.base, dst, pool); break;
        default: throw Error(ErrorCode::InvalidArgument, "strided copy: unsupported element size " + std::to_string(elem_size));
    }
}

void gather_strided(size_t elem_size, const Shape& shape, const StridedView& src, void* dst, ThreadPool* pool) {
    strided_copy(elem_size, shape, src, dst, contiguous_strides(shape), pool);
}

void permute_copy(size_t elem_size, const Shape& x_shape, const std::vector<int64_t>& perm, const void* x, void* out,
                  ThreadPool* pool) {
    const std::vector<int64_t> x_strides = contiguous_strides(x_shape);
    Shape out_shape(perm.size());
    StridedView src{x, std::vector<int64_t>(perm.size())};
    for (size_t i = 0; i < perm.size(); ++i) {
        out_shape[i] = x_shape[static_cast<size_t>(perm[i])];
        src.strides[i] = x_strides[static_cast<size_t>(perm[i])];
    }
    gather_strided(elem_size, out_shape, src, out, pool);
}

}  // namespace opencoreml::mil
