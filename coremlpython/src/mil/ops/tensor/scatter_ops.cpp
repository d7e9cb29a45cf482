// opencoreml ML program ops: scatter (slices along an axis), scatter_along_axis (numpy
// put_along_axis) and scatter_nd (slices addressed by index vectors). The output starts as a
// copy of data; each update is combined into it by `mode` (update, add, sub, mul, div, max,
// min) in index order, so repeated indices accumulate. fp16 runs in fp32; int32 natively.
#include <algorithm>
#include <cstring>

#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/tensor/index_input.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

enum class Mode { Update, Add, Sub, Mul, Div, Max, Min };

Mode parse_mode(const BuildContext& b) {
    // iOS15 documents "add" as the default for every scatter op.
    const std::string m = b.const_string("mode", "add");
    if (m == "update") return Mode::Update;
    if (m == "add") return Mode::Add;
    if (m == "sub") return Mode::Sub;
    if (m == "mul") return Mode::Mul;
    if (m == "div") return Mode::Div;
    if (m == "max") return Mode::Max;
    if (m == "min") return Mode::Min;
    b.fail("mode must be one of update, add, sub, mul, div, max, min; got '" + m + "'");
}

template <Mode M, typename T>
inline void combine(T& d, T u) {
    if constexpr (M == Mode::Update) d = u;
    else if constexpr (M == Mode::Add) d = d + u;
    else if constexpr (M == Mode::Sub) d = d - u;
    else if constexpr (M == Mode::Mul) d = d * u;
    else if constexpr (M == Mode::Div) d = d / u;
    else if constexpr (M == Mode::Max) d = std::max(d, u);
    else d = std::min(d, u);
}

// Where updates go: update row r (`width` contiguous elements) is combined into the output
// starting at element dst_offset[r]. Rows run in order; when `blocks` > 1 the rows form that
// many equal groups that write disjoint parts of the output, so groups can run in parallel.
struct ScatterPlan {
    Shape updates_shape;              // what `updates` must look like
    int64_t rows = 0, width = 0;
    std::vector<int64_t> dst_offset;  // per update row
    int64_t blocks = 1;
};

template <Mode M, typename T>
void apply_plan(const ScatterPlan& p, const T* upd, T* out, ThreadPool& pool) {
    const int64_t rows_per_block = p.blocks ? p.rows / p.blocks : 0;
    auto run_rows = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
        for (int64_t r = r0; r < r1; ++r) {
            T* d = out + p.dst_offset[static_cast<size_t>(r)];
            const T* u = upd + r * p.width;
            for (int64_t c = c0; c < c1; ++c) combine<M>(d[c], u[c]);
        }
    };
    if (p.blocks > 1) {  // blocks write disjoint parts of the output
        pool.parallel_for(p.blocks, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, rows_per_block * p.width)),
                          [&](int64_t b, int64_t e) { run_rows(b * rows_per_block, e * rows_per_block, 0, p.width); });
    } else {  // columns never collide: split them, keep row order within each column
        pool.parallel_for(p.width, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, p.rows)),
                          [&](int64_t b, int64_t e) { run_rows(0, p.rows, b, e); });
    }
}

template <typename T>
void apply_mode(Mode mode, const ScatterPlan& p, const T* upd, T* out, ThreadPool& pool) {
    switch (mode) {
        case Mode::Update: return apply_plan<Mode::Update>(p, upd, out, pool);
        case Mode::Add: return apply_plan<Mode::Add>(p, upd, out, pool);
        case Mode::Sub: return apply_plan<Mode::Sub>(p, upd, out, pool);
        case Mode::Mul: return apply_plan<Mode::Mul>(p, upd, out, pool);
        case Mode::Div: return apply_plan<Mode::Div>(p, upd, out, pool);
        case Mode::Max: return apply_plan<Mode::Max>(p, upd, out, pool);
        case Mode::Min: return apply_plan<Mode::Min>(p, upd, out, pool);
    }
}

// Copies data into the output and applies the plan in data's compute type.
void run_scatter(RunContext& ctx, Mode mode, const ScatterPlan& plan) {
    const Tensor& data = ctx.input("data");
    const Tensor& updates = ctx.input("updates");
    if (updates.shape() != plan.updates_shape)
        ctx.fail("updates has shape " + shape_to_string(updates.shape()) + " but data and indices call for " +
                 shape_to_string(plan.updates_shape));
    if (data.dtype() == DType::Int32) {
        if (updates.dtype() != DType::Int32) ctx.fail("updates must be int32 like data");
        const int32_t* u = updates.data<int32_t>();
        if (mode == Mode::Div && std::find(u, u + updates.numel(), 0) != u + updates.numel())
            ctx.fail("integer division by zero in updates");
        Tensor& out = ctx.allocate_output(0, DType::Int32, data.shape());
        std::memcpy(out.raw(), data.raw(), data.nbytes());
        apply_mode(mode, plan, u, out.data<int32_t>(), ctx.threads());
    } else if (is_floating(data.dtype())) {
        const Tensor d32 = ctx.input_f32("data"), u32 = ctx.input_f32("updates");
        F32Output out(ctx, 0, data.shape());
        std::memcpy(out.data(), d32.data<float>(), d32.nbytes());
        apply_mode(mode, plan, u32.data<float>(), out.data(), ctx.threads());
        out.commit();
    } else {
        ctx.fail(std::string("data must be fp16, fp32 or int32, got ") + dtype_name(data.dtype()));
    }
}

std::unique_ptr<Kernel> make_scatter(const BuildContext& b) {
    const Mode mode = parse_mode(b);
    const int64_t axis = b.const_int("axis", 0);
    return make_kernel([mode, axis](RunContext& ctx) {
        const Shape& ds = ctx.input("data").shape();
        std::vector<int64_t> idx = index_values(ctx, "indices");
        const int64_t a = normalize_axis(ctx, axis, static_cast<int64_t>(ds.size()));
        const AxisSplit s = split_at_axis(ds, a);
        for (int64_t& v : idx) wrap_index(ctx, v, s.n, "index");
        // updates: [outer, len(indices), inner]; row (o, i) goes to data row (o, idx[i]).
        ScatterPlan p;
        const Shape& is = ctx.input("indices").shape();
        p.updates_shape.assign(ds.begin(), ds.begin() + a);
        p.updates_shape.insert(p.updates_shape.end(), is.begin(), is.end());
        p.updates_shape.insert(p.updates_shape.end(), ds.begin() + a + 1, ds.end());
        const int64_t count = static_cast<int64_t>(idx.size());
        p.rows = s.outer * count;
        p.width = s.inner;
        p.blocks = s.outer;
        for (int64_t o = 0; o < s.outer; ++o)
            for (int64_t i = 0; i < count; ++i) p.dst_offset.push_back((o * s.n + idx[static_cast<size_t>(i)]) * s.inner);
        run_scatter(ctx, mode, p);
    });
}

std::unique_ptr<Kernel> make_scatter_along_axis(const BuildContext& b) {
    const Mode mode = parse_mode(b);
    const int64_t axis = b.const_int("axis", 0);
    return make_kernel([mode, axis](RunContext& ctx) {
        const Shape& ds = ctx.input("data").shape();
        const Tensor& indices = ctx.input("indices");
        std::vector<int64_t> idx = index_values(ctx, "indices");
        const int64_t rank = static_cast<int64_t>(ds.size());
        if (indices.rank() != rank) ctx.fail("indices must have data's rank " + std::to_string(rank));
        const int64_t a = normalize_axis(ctx, axis, rank);
        for (int64_t d = 0; d < rank; ++d)
            if (d != a && indices.shape()[static_cast<size_t>(d)] != ds[static_cast<size_t>(d)])
                ctx.fail("indices " + shape_to_string(indices.shape()) + " and data " + shape_to_string(ds) + " differ outside the axis");
        const AxisSplit s = split_at_axis(indices.shape(), a);
        const int64_t n = ds[static_cast<size_t>(a)];
        for (int64_t& v : idx) wrap_index(ctx, v, n, "index");
        // One-element rows: update (o, k, i) goes to data (o, idx[o, k, i], i).
        ScatterPlan p;
        p.updates_shape = indices.shape();
        p.rows = static_cast<int64_t>(idx.size());
        p.width = 1;
        p.blocks = s.outer;
        p.dst_offset.resize(idx.size());
        for (int64_t r = 0; r < p.rows; ++r) {
            const int64_t o = r / std::max<int64_t>(1, s.n * s.inner), i = r % s.inner;
            p.dst_offset[static_cast<size_t>(r)] = (o * n + idx[static_cast<size_t>(r)]) * s.inner + i;
        }
        run_scatter(ctx, mode, p);
    });
}

std::unique_ptr<Kernel> make_scatter_nd(const BuildContext& b) {
    const Mode mode = parse_mode(b);
    return make_kernel([mode](RunContext& ctx) {
        const Shape& ds = ctx.input("data").shape();
        const Tensor& indices = ctx.input("indices");
        std::vector<int64_t> idx = index_values(ctx, "indices");
        if (indices.rank() < 1) ctx.fail("indices must have rank 1 or more");
        const int64_t depth = indices.shape().back();
        if (depth > static_cast<int64_t>(ds.size()))
            ctx.fail("indices.shape[-1] (" + std::to_string(depth) + ") exceeds the rank of data " + shape_to_string(ds));
        const std::vector<int64_t> strides = contiguous_strides(ds);
        ScatterPlan p;
        p.updates_shape.assign(indices.shape().begin(), indices.shape().end() - 1);
        p.updates_shape.insert(p.updates_shape.end(), ds.begin() + depth, ds.end());
        p.rows = depth ? static_cast<int64_t>(idx.size()) / depth : dims_product(indices.shape(), 0, indices.shape().size() - 1);
        p.width = dims_product(ds, static_cast<size_t>(depth), ds.size());
        p.blocks = 1;  // any two index vectors may address the same slice
        for (int64_t r = 0; r < p.rows; ++r) {
            int64_t off = 0;
            for (int64_t t = 0; t < depth; ++t) {
                int64_t& v = idx[static_cast<size_t>(r * depth + t)];
                wrap_index(ctx, v, ds[static_cast<size_t>(t)], "index");
                off += v * strides[static_cast<size_t>(t)];
            }
            p.dst_offset.push_back(off);
        }
        run_scatter(ctx, mode, p);
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("scatter", kIOS15, make_scatter)
OCML_REGISTER_MIL_OP("scatter_along_axis", kIOS15, make_scatter_along_axis)
OCML_REGISTER_MIL_OP("scatter_nd", kIOS15, make_scatter_nd)

}  // namespace opencoreml::mil
