// opencoreml ML program ops: argsort and topk along an axis. Equal values keep their original
// order (lower index first) and NaN sorts after every number in both directions, like
// numpy's argsort of x or -x. topk returns the values (copied from x, so exact for every
// dtype) and, unless return_indices is false (iOS16), their indices as int32 or, when an
// iOS17 program asks, uint16. sort=false is honoured by returning them sorted anyway.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

template <typename T>
bool is_nan(T v) {
    if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
    else return false;
}

// Strict weak order on (value, index): by value in the requested direction, NaN last, ties
// broken by index so unstable algorithms (partial_sort) give the stable answer.
template <typename T>
struct RankOrder {
    const T* v;
    bool ascending;
    bool operator()(int32_t a, int32_t b) const {
        const T x = v[a], y = v[b];
        const bool nx = is_nan(x), ny = is_nan(y);
        if (nx != ny) return ny;
        if (!nx && x != y) return ascending ? x < y : x > y;
        return a < b;
    }
};

// Values as one of the types the comparisons run on: float (fp16/fp32), int32 (integers up
// to 32 bits), double otherwise.
struct SortKeys {
    Tensor tensor;
    DType dtype;
};

SortKeys sort_keys(RunContext& ctx, const Tensor& x) {
    if (x.dtype() == DType::Float32 || x.dtype() == DType::Int32) return {x, x.dtype()};
    if (x.dtype() == DType::Float16) return {ctx.input_f32("x"), DType::Float32};
    if (is_integer(x.dtype()) && dtype_size(x.dtype()) <= 2) return {x.to(DType::Int32), DType::Int32};
    return {x.to(DType::Float64), DType::Float64};
}

// For every [n] lane of x (outer x inner lanes), calls emit(lane_outer, lane_inner, order)
// with `order` holding the first `keep` positions of the sorted lane.
template <typename T, class Emit>
void sort_lanes(const T* x, const AxisSplit& s, int64_t keep, bool ascending, ThreadPool& pool, const Emit& emit) {
    const int64_t n = s.n, inner = s.inner;
    pool.parallel_for(s.outer * inner, std::max<int64_t>(1, (1 << 13) / std::max<int64_t>(1, n)), [&](int64_t b, int64_t e) {
        std::vector<T> lane(static_cast<size_t>(n));
        std::vector<int32_t> order(static_cast<size_t>(n));
        for (int64_t l = b; l < e; ++l) {
            const int64_t o = l / inner, i = l % inner;
            const T* base = x + o * n * inner + i;
            for (int64_t k = 0; k < n; ++k) lane[static_cast<size_t>(k)] = base[k * inner];
            std::iota(order.begin(), order.end(), 0);
            const RankOrder<T> cmp{lane.data(), ascending};
            if (keep < n) std::partial_sort(order.begin(), order.begin() + keep, order.end(), cmp);
            else std::sort(order.begin(), order.end(), cmp);
            emit(o, i, order.data());
        }
    });
}

template <class Emit>
void sort_any(const SortKeys& keys, const AxisSplit& s, int64_t keep, bool ascending, ThreadPool& pool, const Emit& emit) {
    switch (keys.dtype) {
        case DType::Float32: return sort_lanes(keys.tensor.data<float>(), s, keep, ascending, pool, emit);
        case DType::Int32: return sort_lanes(keys.tensor.data<int32_t>(), s, keep, ascending, pool, emit);
        default: return sort_lanes(keys.tensor.data<double>(), s, keep, ascending, pool, emit);
    }
}

// Writes lane positions into an index output laid out as [outer, keep, inner].
template <typename I>
void put_indices(I* out, int64_t o, int64_t i, const int32_t* order, int64_t keep, int64_t inner) {
    for (int64_t k = 0; k < keep; ++k) out[(o * keep + k) * inner + i] = static_cast<I>(order[k]);
}

void write_indices(Tensor& out, int64_t o, int64_t i, const int32_t* order, int64_t keep, int64_t inner) {
    if (out.dtype() == DType::UInt16) put_indices(static_cast<uint16_t*>(out.raw()), o, i, order, keep, inner);
    else put_indices(static_cast<int32_t*>(out.raw()), o, i, order, keep, inner);
}

DType index_dtype(const BuildContext& b, const char* param) {
    const std::string name = b.const_string(param, "int32");
    if (name == "int32") return DType::Int32;
    if (name == "uint16") return DType::UInt16;
    b.fail(std::string(param) + " must be 'int32' or 'uint16', got '" + name + "'");
}

std::unique_ptr<Kernel> make_argsort(const BuildContext& b) {
    const int64_t axis = b.const_int("axis", -1);
    const bool ascending = b.const_bool("ascending", false);
    return make_kernel([axis, ascending](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const AxisSplit s = split_at_axis(x.shape(), normalize_axis(ctx, axis, x.rank()));
        Tensor& out = ctx.allocate_output(0, DType::Int32, x.shape());
        const SortKeys keys = sort_keys(ctx, x);
        sort_any(keys, s, s.n, ascending, ctx.threads(), [&](int64_t o, int64_t i, const int32_t* order) {
            write_indices(out, o, i, order, s.n, s.inner);
        });
    });
}

std::unique_ptr<Kernel> make_topk(const BuildContext& b) {
    const int64_t k = b.const_int("k", 1), axis = b.const_int("axis", -1);
    const bool ascending = b.const_bool("ascending", false);
    const bool return_indices = b.const_bool("return_indices", true);
    const DType idx_dtype = index_dtype(b, "output_indices_dtype");
    if (b.output_count() != (return_indices ? 2u : 1u))
        b.fail("expects " + std::string(return_indices ? "2 outputs (values, indices)" : "1 output (values)"));
    if (k < 0) b.fail("k must not be negative, got " + std::to_string(k));
    return make_kernel([k, axis, ascending, return_indices, idx_dtype](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const int64_t a = normalize_axis(ctx, axis, x.rank());
        const AxisSplit s = split_at_axis(x.shape(), a);
        if (k > s.n) ctx.fail("k = " + std::to_string(k) + " exceeds the axis length " + std::to_string(s.n));
        Shape out_shape = x.shape();
        out_shape[static_cast<size_t>(a)] = k;
        Tensor& values = ctx.allocate_output(0, x.dtype(), out_shape);
        Tensor* indices = return_indices ? &ctx.allocate_output(1, idx_dtype, out_shape) : nullptr;
        const size_t es = dtype_size(x.dtype());
        const uint8_t* src = static_cast<const uint8_t*>(x.raw());
        uint8_t* dst = static_cast<uint8_t*>(values.raw());
        const SortKeys keys = sort_keys(ctx, x);
        sort_any(keys, s, k, ascending, ctx.threads(), [&](int64_t o, int64_t i, const int32_t* order) {
            for (int64_t j = 0; j < k; ++j)
                std::memcpy(dst + static_cast<size_t>((o * k + j) * s.inner + i) * es,
                            src + static_cast<size_t>((o * s.n + order[j]) * s.inner + i) * es, es);
            if (indices) write_indices(*indices, o, i, order, k, s.inner);
        });
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("argsort", kIOS15, make_argsort)
OCML_REGISTER_MIL_OP("topk", kIOS15, make_topk)

}  // namespace opencoreml::mil
