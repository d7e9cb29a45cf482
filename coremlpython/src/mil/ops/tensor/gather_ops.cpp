// opencoreml ML program ops: gather (along an axis, with batch_dims from iOS16),
// gather_along_axis (numpy take_along_axis) and gather_nd (slices addressed by index
// vectors, with batch_dims from iOS16). Indices are checked up front, so the copy loops,
// which may run on worker threads, cannot fail.
#include <cstring>

#include "mil/ops/tensor/index_input.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

constexpr int64_t kGatherGrain = 1 << 14;  // elements per parallel chunk

void check_batch_dims(const RunContext& ctx, const Shape& x, const Shape& idx, int64_t batch_dims) {
    for (int64_t d = 0; d < batch_dims; ++d)
        if (x[static_cast<size_t>(d)] != idx[static_cast<size_t>(d)])
            ctx.fail("batch dim " + std::to_string(d) + " differs between x " + shape_to_string(x) + " and indices " + shape_to_string(idx));
}

int64_t resolve_batch_dims(const RunContext& ctx, int64_t batch_dims, int64_t indices_rank, int64_t limit) {
    const int64_t b = batch_dims < 0 ? batch_dims + indices_rank : batch_dims;
    if (b < 0 || b > indices_rank || b > limit) ctx.fail("batch_dims " + std::to_string(batch_dims) + " is out of range");
    return b;
}

std::unique_ptr<Kernel> make_gather(const BuildContext& b) {
    const int64_t axis = b.const_int("axis", 0), batch_dims = b.const_int("batch_dims", 0);
    return make_kernel([axis, batch_dims](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const Tensor& indices = ctx.input("indices");
        std::vector<int64_t> idx = index_values(ctx, "indices");
        const int64_t a = normalize_axis(ctx, axis, x.rank());
        const int64_t bd = resolve_batch_dims(ctx, batch_dims, indices.rank(), a);
        check_batch_dims(ctx, x.shape(), indices.shape(), bd);
        const Shape& xs = x.shape();
        const size_t ua = static_cast<size_t>(a), ub = static_cast<size_t>(bd);
        Shape out_shape(xs.begin(), xs.begin() + a);
        out_shape.insert(out_shape.end(), indices.shape().begin() + bd, indices.shape().end());
        out_shape.insert(out_shape.end(), xs.begin() + a + 1, xs.end());
        const int64_t n_axis = xs[ua];
        for (int64_t& v : idx) wrap_index(ctx, v, n_axis, "index");
        const int64_t batch = dims_product(xs, 0, ub), mid = dims_product(xs, ub, ua);
        const int64_t per_batch = dims_product(indices.shape(), ub, indices.shape().size());
        const size_t es = dtype_size(x.dtype());
        const int64_t inner = dims_product(xs, ua + 1, xs.size()) * static_cast<int64_t>(es);
        Tensor& out = ctx.allocate_output(0, x.dtype(), out_shape);
        const uint8_t* src = static_cast<const uint8_t*>(x.raw());
        uint8_t* dst = static_cast<uint8_t*>(out.raw());
        const int64_t rows = batch * mid * per_batch;
        if (inner == 0) return;
        ctx.threads().parallel_for(rows, std::max<int64_t>(1, kGatherGrain * 4 / inner), [&](int64_t lo, int64_t hi) {
            for (int64_t r = lo; r < hi; ++r) {
                const int64_t j = r % per_batch, bm = r / per_batch, bt = bm / mid;
                const int64_t row = idx[static_cast<size_t>(bt * per_batch + j)];
                std::memcpy(dst + r * inner, src + (bm * n_axis + row) * inner, static_cast<size_t>(inner));
            }
        });
    });
}

template <typename E>
void take_along(const E* x, const int64_t* idx, E* out, int64_t outer, int64_t n_out, int64_t n_x, int64_t inner, ThreadPool& pool) {
    pool.parallel_for(outer * n_out, std::max<int64_t>(1, kGatherGrain / std::max<int64_t>(1, inner)), [&](int64_t lo, int64_t hi) {
        for (int64_t r = lo; r < hi; ++r) {
            const int64_t o = r / n_out;
            const int64_t* ir = idx + r * inner;
            const E* xo = x + o * n_x * inner;
            E* d = out + r * inner;
            for (int64_t i = 0; i < inner; ++i) d[i] = xo[ir[i] * inner + i];
        }
    });
}

std::unique_ptr<Kernel> make_gather_along_axis(const BuildContext& b) {
    const int64_t axis = b.const_int("axis", 0);
    return make_kernel([axis](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const Tensor& indices = ctx.input("indices");
        std::vector<int64_t> idx = index_values(ctx, "indices");
        if (indices.rank() != x.rank()) ctx.fail("indices must have x's rank " + std::to_string(x.rank()));
        const int64_t a = normalize_axis(ctx, axis, x.rank());
        for (int64_t d = 0; d < x.rank(); ++d)
            if (d != a && indices.shape()[static_cast<size_t>(d)] != x.shape()[static_cast<size_t>(d)])
                ctx.fail("indices " + shape_to_string(indices.shape()) + " and x " + shape_to_string(x.shape()) + " differ outside the axis");
        const int64_t n_x = x.dim(a);
        for (int64_t& v : idx) wrap_index(ctx, v, n_x, "index");
        const AxisSplit s = split_at_axis(indices.shape(), a);
        Tensor& out = ctx.allocate_output(0, x.dtype(), indices.shape());
        switch (dtype_size(x.dtype())) {
            case 1: take_along(static_cast<const uint8_t*>(x.raw()), idx.data(), static_cast<uint8_t*>(out.raw()), s.outer, s.n, n_x, s.inner, ctx.threads()); break;
            case 2: take_along(static_cast<const uint16_t*>(x.raw()), idx.data(), static_cast<uint16_t*>(out.raw()), s.outer, s.n, n_x, s.inner, ctx.threads()); break;
            case 4: take_along(static_cast<const uint32_t*>(x.raw()), idx.data(), static_cast<uint32_t*>(out.raw()), s.outer, s.n, n_x, s.inner, ctx.threads()); break;
            default: take_along(static_cast<const uint64_t*>(x.raw()), idx.data(), static_cast<uint64_t*>(out.raw()), s.outer, s.n, n_x, s.inner, ctx.threads()); break;
        }
    });
}

std::unique_ptr<Kernel> make_gather_nd(const BuildContext& b) {
    const int64_t batch_dims = b.const_int("batch_dims", 0);
    return make_kernel([batch_dims](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const Tensor& indices = ctx.input("indices");
        std::vector<int64_t> idx = index_values(ctx, "indices");
        if (indices.rank() < 1) ctx.fail("indices must have rank 1 or more");
        const Shape& xs = x.shape();
        const Shape& is = indices.shape();
        const int64_t depth = is.back();
        const int64_t bd = resolve_batch_dims(ctx, batch_dims, indices.rank() - 1, x.rank());
        if (bd + depth > x.rank())
            ctx.fail("indices.shape[-1] (" + std::to_string(depth) + ") + batch_dims exceeds the rank of x " + shape_to_string(xs));
        check_batch_dims(ctx, xs, is, bd);
        const size_t ub = static_cast<size_t>(bd), uend = static_cast<size_t>(bd + depth);
        Shape out_shape(is.begin(), is.end() - 1);
        out_shape.insert(out_shape.end(), xs.begin() + static_cast<std::ptrdiff_t>(uend), xs.end());
        const std::vector<int64_t> strides = contiguous_strides(xs);
        const int64_t batch = dims_product(xs, 0, ub), per_batch = dims_product(is, ub, is.size() - 1);
        const int64_t batch_stride = dims_product(xs, ub, xs.size());
        // Element offsets of each addressed slice within its batch, checked here.
        std::vector<int64_t> offsets(static_cast<size_t>(batch * per_batch));
        for (size_t r = 0; r < offsets.size(); ++r) {
            int64_t off = 0;
            for (int64_t t = 0; t < depth; ++t) {
                int64_t& v = idx[r * static_cast<size_t>(depth) + static_cast<size_t>(t)];
                wrap_index(ctx, v, xs[ub + static_cast<size_t>(t)], "index");
                off += v * strides[ub + static_cast<size_t>(t)];
            }
            offsets[r] = off;
        }
        const size_t es = dtype_size(x.dtype());
        const int64_t slice = dims_product(xs, uend, xs.size()) * static_cast<int64_t>(es);
        Tensor& out = ctx.allocate_output(0, x.dtype(), out_shape);
        const uint8_t* src = static_cast<const uint8_t*>(x.raw());
        uint8_t* dst = static_cast<uint8_t*>(out.raw());
        if (slice == 0) return;
        ctx.threads().parallel_for(static_cast<int64_t>(offsets.size()), std::max<int64_t>(1, kGatherGrain * 4 / slice), [&](int64_t lo, int64_t hi) {
            for (int64_t r = lo; r < hi; ++r) {
                const int64_t bt = r / std::max<int64_t>(1, per_batch);
                std::memcpy(dst + r * slice, src + (bt * batch_stride + offsets[static_cast<size_t>(r)]) * static_cast<int64_t>(es),
                            static_cast<size_t>(slice));
            }
        });
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("gather", kIOS15, make_gather)
OCML_REGISTER_MIL_OP("gather_along_axis", kIOS15, make_gather_along_axis)
OCML_REGISTER_MIL_OP("gather_nd", kIOS15, make_gather_nd)

}  // namespace opencoreml::mil
