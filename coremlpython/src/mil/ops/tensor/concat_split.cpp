// opencoreml ML program ops: concat (optionally interleaved), stack and split. All three are
// block copies over [outer, chunk] views: per outer index, each input contributes (or each
// output receives) one contiguous chunk. Interleaved concat is stack on the next axis, and
// stack is concat of inputs seen with a unit dim inserted.
#include <cstring>

#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

constexpr int64_t kBytesGrain = 1 << 16;

// out[o] = concatenation over i of parts[i][o]; chunk sizes in bytes.
void join_chunks(const std::vector<const uint8_t*>& parts, const std::vector<int64_t>& chunk, int64_t outer, uint8_t* out,
                 ThreadPool& pool) {
    int64_t row = 0;
    for (int64_t c : chunk) row += c;
    if (row == 0) return;
    pool.parallel_for(outer, std::max<int64_t>(1, kBytesGrain / row), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) {
            uint8_t* d = out + o * row;
            for (size_t i = 0; i < parts.size(); ++i) {
                std::memcpy(d, parts[i] + o * chunk[i], static_cast<size_t>(chunk[i]));
                d += chunk[i];
            }
        }
    });
}

const Tensor& checked_value(const RunContext& ctx, size_t i, const Tensor& first) {
    const Tensor& v = ctx.input("values", i);
    if (v.dtype() != first.dtype())
        ctx.fail(std::string("values mix dtypes ") + dtype_name(first.dtype()) + " and " + dtype_name(v.dtype()));
    if (v.rank() != first.rank())
        ctx.fail("values mix ranks " + std::to_string(first.rank()) + " and " + std::to_string(v.rank()));
    return v;
}

std::unique_ptr<Kernel> make_concat(const BuildContext& b) {
    const int64_t axis = b.const_int("axis");
    const bool interleave = b.const_bool("interleave", false);
    if (b.input_count("values") == 0) b.fail("needs at least one value");
    return make_kernel([axis, interleave](RunContext& ctx) {
        const size_t n = ctx.input_count("values");
        const Tensor& first = ctx.input("values", 0);
        if (first.rank() == 0) {  // scalars concatenate into a vector
            Tensor& out = ctx.allocate_output(0, first.dtype(), {static_cast<int64_t>(n)});
            const size_t es = dtype_size(first.dtype());
            for (size_t i = 0; i < n; ++i)
                std::memcpy(static_cast<uint8_t*>(out.raw()) + i * es, checked_value(ctx, i, first).raw(), es);
            return;
        }
        const int64_t a = normalize_axis(ctx, axis, first.rank());
        Shape out_shape = first.shape();
        out_shape[static_cast<size_t>(a)] = 0;
        std::vector<const uint8_t*> parts;
        std::vector<int64_t> chunk;
        const size_t es = dtype_size(first.dtype());
        // Interleaving joins one slice of every input per index along the axis.
        const size_t split = static_cast<size_t>(a) + (interleave ? 1 : 0);
        for (size_t i = 0; i < n; ++i) {
            const Tensor& v = checked_value(ctx, i, first);
            for (size_t d = 0; d < v.shape().size(); ++d)
                if (static_cast<int64_t>(d) != a || interleave)
                    if (v.shape()[d] != first.shape()[d])
                        ctx.fail("values have mismatched shapes " + shape_to_string(first.shape()) + " and " + shape_to_string(v.shape()));
            out_shape[static_cast<size_t>(a)] += v.shape()[static_cast<size_t>(a)];
            parts.push_back(static_cast<const uint8_t*>(v.raw()));
            chunk.push_back(dims_product(v.shape(), split, v.shape().size()) * static_cast<int64_t>(es));
        }
        Tensor& out = ctx.allocate_output(0, first.dtype(), out_shape);
        join_chunks(parts, chunk, dims_product(first.shape(), 0, split), static_cast<uint8_t*>(out.raw()), ctx.threads());
    });
}

std::unique_ptr<Kernel> make_stack(const BuildContext& b) {
    const int64_t axis = b.const_int("axis");
    if (b.input_count("values") == 0) b.fail("needs at least one value");
    return make_kernel([axis](RunContext& ctx) {
        const size_t n = ctx.input_count("values");
        const Tensor& first = ctx.input("values", 0);
        const int64_t a = normalize_axis(ctx, axis, first.rank() + 1);
        std::vector<const uint8_t*> parts;
        for (size_t i = 0; i < n; ++i) {
            const Tensor& v = checked_value(ctx, i, first);
            if (v.shape() != first.shape())
                ctx.fail("values have mismatched shapes " + shape_to_string(first.shape()) + " and " + shape_to_string(v.shape()));
            parts.push_back(static_cast<const uint8_t*>(v.raw()));
        }
        Shape out_shape = first.shape();
        out_shape.insert(out_shape.begin() + a, static_cast<int64_t>(n));
        const int64_t chunk = dims_product(first.shape(), static_cast<size_t>(a), first.shape().size()) *
                              static_cast<int64_t>(dtype_size(first.dtype()));
        Tensor& out = ctx.allocate_output(0, first.dtype(), out_shape);
        join_chunks(parts, std::vector<int64_t>(n, chunk), dims_product(first.shape(), 0, static_cast<size_t>(a)),
                    static_cast<uint8_t*>(out.raw()), ctx.threads());
    });
}

std::unique_ptr<Kernel> make_split(const BuildContext& b) {
    const int64_t axis = b.const_int("axis");
    const size_t outputs = b.output_count();
    std::vector<int64_t> sizes;
    if (b.has_input("split_sizes")) {
        sizes = b.const_ints("split_sizes");
        if (sizes.size() != outputs) b.fail("split_sizes has " + std::to_string(sizes.size()) + " entries for " + std::to_string(outputs) + " outputs");
        for (int64_t s : sizes)
            if (s < 0) b.fail("split_sizes must not be negative");
    } else if (b.has_input("num_splits")) {
        if (b.const_int("num_splits") != static_cast<int64_t>(outputs)) b.fail("num_splits does not match the op's output count");
    } else {
        b.fail("needs num_splits or split_sizes");
    }
    return make_kernel([axis, outputs, sizes](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const int64_t a = normalize_axis(ctx, axis, x.rank());
        const int64_t len = x.shape()[static_cast<size_t>(a)];
        std::vector<int64_t> parts = sizes;
        if (parts.empty()) {
            if (len % static_cast<int64_t>(outputs) != 0)
                ctx.fail("axis of length " + std::to_string(len) + " does not split evenly into " + std::to_string(outputs));
            parts.assign(outputs, len / static_cast<int64_t>(outputs));
        }
        int64_t total = 0;
        for (int64_t p : parts) total += p;
        if (total != len) ctx.fail("split sizes add up to " + std::to_string(total) + " but the axis has length " + std::to_string(len));
        const int64_t es = static_cast<int64_t>(dtype_size(x.dtype()));
        const int64_t inner = dims_product(x.shape(), static_cast<size_t>(a) + 1, x.shape().size()) * es;
        const int64_t outer = dims_product(x.shape(), 0, static_cast<size_t>(a));
        const uint8_t* src = static_cast<const uint8_t*>(x.raw());
        int64_t offset = 0;
        for (size_t i = 0; i < outputs; ++i) {
            Shape shape = x.shape();
            shape[static_cast<size_t>(a)] = parts[i];
            Tensor& out = ctx.allocate_output(i, x.dtype(), shape);
            const int64_t chunk = parts[i] * inner;
            uint8_t* dst = static_cast<uint8_t*>(out.raw());
            if (chunk > 0)
                ctx.threads().parallel_for(outer, std::max<int64_t>(1, kBytesGrain / chunk), [&](int64_t lo, int64_t hi) {
                    for (int64_t o = lo; o < hi; ++o) std::memcpy(dst + o * chunk, src + o * len * inner + offset, static_cast<size_t>(chunk));
                });
            offset += chunk;
        }
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("concat", kIOS15, make_concat)
OCML_REGISTER_MIL_OP("stack", kIOS15, make_stack)
OCML_REGISTER_MIL_OP("split", kIOS15, make_split)

}  // namespace opencoreml::mil
