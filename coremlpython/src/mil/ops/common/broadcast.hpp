// opencoreml ML program ops: numpy broadcasting for elementwise kernels with up to four
// operands (binary ops, select, ...).
//
// broadcast_shapes() gives the output shape. BroadcastPlan describes how each operand is
// read while the output is written in row-major order: output dims of size 1 are dropped and
// neighbouring dims are merged whenever every operand is laid out contiguously across them,
// so the usual cases cost nothing extra:
//   - same shapes               -> one dimension, every operand read with stride 1;
//   - a scalar / single element -> that operand read with stride 0 everywhere;
//   - "inner contiguous" (bias [C] over [N, C], or [N, C] over [N, C, H, W])
//                               -> few long rows, the broadcast operand fixed within a row.
// for_each_span() walks any sub-range [begin, end) of the flattened output (so a parallel_for
// chunk can start anywhere) as contiguous output spans, giving each operand's element offset
// at the span start; within a span an operand advances by inner_stride() (1) or stays put (0).
// Kernels then run a tight loop specialised on those two cases, which the compiler vectorises.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "opencoreml/tensor.hpp"

namespace opencoreml::mil {

// numpy broadcasting of `shapes` (dims aligned at the right; a dim of 1 stretches). Returns
// false when two dims differ and neither is 1. Rank-0 shapes broadcast with anything.
bool broadcast_shapes(const std::vector<const Shape*>& shapes, Shape& out);
// The same, throwing Error(InvalidArgument) with "`what`: shapes (2, 3) and (4,) do not broadcast".
Shape broadcast_shapes_or_throw(const std::vector<const Shape*>& shapes, const std::string& what);

class BroadcastPlan {
public:
    static constexpr size_t kMaxOperands = 4;
    using Offsets = std::array<int64_t, kMaxOperands>;

    // Plans reading operands of shapes `inputs` into an output of shape `out`; every input
    // must broadcast to `out` (see broadcast_shapes).
    BroadcastPlan(const std::vector<const Shape*>& inputs, const Shape& out);

    int64_t numel() const { return numel_; }
    // Per operand: 1 when it advances along the innermost run, 0 when it is held fixed there.
    int64_t inner_stride(size_t operand) const { return inner_stride_[operand]; }
    // True when the output is one contiguous run (same shapes, or scalars against a tensor).
    bool single_run() const { return dims_.size() == 1; }

    // Calls fn(out_offset, const Offsets& operand_offsets, count) for consecutive output
    // spans covering [begin, end) of the flattened output.
    template <class Fn>
    void for_each_span(int64_t begin, int64_t end, Fn&& fn) const;

private:
    void offsets_of_row(int64_t row, Offsets& offsets, std::vector<int64_t>& index) const;

    size_t operands_ = 0;
    int64_t numel_ = 0;
    std::vector<int64_t> dims_;                                // merged output dims, innermost last
    std::array<std::vector<int64_t>, kMaxOperands> strides_;   // per operand, per merged dim
    std::array<int64_t, kMaxOperands> inner_stride_{};
};

template <class Fn>
void BroadcastPlan::for_each_span(int64_t begin, int64_t end, Fn&& fn) const {
    if (begin >= end) return;
    const int64_t inner = dims_.back();
    int64_t row = begin / inner, col = begin % inner;
    Offsets row_start{};
    std::vector<int64_t> index;  // multi-index of `row` over the outer dims
    offsets_of_row(row, row_start, index);
    int64_t pos = begin;
    while (pos < end) {
        const int64_t count = std::min(inner - col, end - pos);
        Offsets at = row_start;
        for (size_t k = 0; k < operands_; ++k) at[k] += col * inner_stride_[k];
        fn(pos, static_cast<const Offsets&>(at), count);
        pos += count;
        col = 0;
        if (pos >= end) break;
        // Odometer step to the next row: cheaper than re-deriving offsets from the row number.
        for (size_t d = dims_.size() - 1; d-- > 0;) {
            for (size_t k = 0; k < operands_; ++k) row_start[k] += strides_[k][d];
            if (++index[d] < dims_[d]) break;
            for (size_t k = 0; k < operands_; ++k) row_start[k] -= strides_[k][d] * dims_[d];
            index[d] = 0;
        }
    }
}

// out[i] = f(a[i * sa], b[i * sb]) for i < n, with sa, sb in {0, 1} (a BroadcastPlan span):
// one branch per stride case so each loop is a plain vectorisable loop.
template <class R, class A, class B, class F>
inline void apply_binary_span(R* out, const A* a, int64_t sa, const B* b, int64_t sb, int64_t n, const F& f) {
    if (sa && sb) {
        for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
    } else if (sa) {
        const B bv = *b;
        for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], bv);
    } else if (sb) {
        const A av = *a;
        for (int64_t i = 0; i < n; ++i) out[i] = f(av, b[i]);
    } else {
        const R v = f(*a, *b);
        for (int64_t i = 0; i < n; ++i) out[i] = v;
    }
}

}  // namespace opencoreml::mil
