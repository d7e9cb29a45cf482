// opencoreml ML program ops: reduce_argmax / reduce_argmin — the index of the first maximum
// (minimum) along one axis, NaN counting as the extreme like numpy. Indices are int32, or
// uint16 when an iOS17 program asks for it with output_dtype.
#include <algorithm>

#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

constexpr int64_t kArgGrain = 1 << 14;

template <bool kMax, typename T>
bool better(T v, T best) {
    if (v != v) return best == best;  // the first NaN wins and stays
    return kMax ? v > best : v < best;
}

template <bool kMax, typename T, typename I>
void arg_reduce(const T* x, I* out, const AxisSplit& s, ThreadPool& pool) {
    const int64_t n = s.n, inner = s.inner;
    pool.parallel_for(s.outer, std::max<int64_t>(1, kArgGrain / std::max<int64_t>(1, n * inner)), [&](int64_t b, int64_t e) {
        std::vector<T> best(static_cast<size_t>(inner));
        for (int64_t o = b; o < e; ++o) {
            const T* base = x + o * n * inner;
            I* dst = out + o * inner;
            std::copy(base, base + inner, best.begin());
            std::fill(dst, dst + inner, I(0));
            for (int64_t k = 1; k < n; ++k) {
                const T* row = base + k * inner;
                for (int64_t i = 0; i < inner; ++i)
                    if (better<kMax>(row[i], best[static_cast<size_t>(i)])) {
                        best[static_cast<size_t>(i)] = row[i];
                        dst[i] = static_cast<I>(k);
                    }
            }
        }
    });
}

template <bool kMax, typename T>
void arg_reduce_to(const T* x, Tensor& out, const AxisSplit& s, ThreadPool& pool) {
    if (out.dtype() == DType::UInt16) arg_reduce<kMax>(x, out.data<uint16_t>(), s, pool);
    else arg_reduce<kMax>(x, out.data<int32_t>(), s, pool);
}

template <bool kMax>
std::unique_ptr<Kernel> make_arg_reduce(const BuildContext& b) {
    const int64_t axis = b.const_int("axis", -1);
    const bool keep_dims = b.const_bool("keep_dims", false);
    const std::string out_dtype = b.const_string("output_dtype", "int32");
    if (out_dtype != "int32" && out_dtype != "uint16") b.fail("output_dtype must be 'int32' or 'uint16', got '" + out_dtype + "'");
    const DType index_dtype = out_dtype == "uint16" ? DType::UInt16 : DType::Int32;
    return make_kernel([axis, keep_dims, index_dtype](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const int64_t a = normalize_axis(ctx, axis, x.rank());
        const AxisSplit s = split_at_axis(x.shape(), a);
        if (s.n == 0) ctx.fail("cannot take the arg-extreme of an empty axis (input shape " + shape_to_string(x.shape()) + ")");
        if (index_dtype == DType::UInt16 && s.n > 65536) ctx.fail("axis is too long for uint16 indices");
        Shape out_shape = x.shape();
        if (keep_dims) out_shape[static_cast<size_t>(a)] = 1;
        else out_shape.erase(out_shape.begin() + a);
        Tensor& out = ctx.allocate_output(0, index_dtype, out_shape);
        if (x.dtype() == DType::Int32) arg_reduce_to<kMax>(x.data<int32_t>(), out, s, ctx.threads());
        else if (is_floating(x.dtype())) arg_reduce_to<kMax>(ctx.input_f32("x").data<float>(), out, s, ctx.threads());
        else ctx.fail(std::string("x must be fp16, fp32 or int32, got ") + dtype_name(x.dtype()));
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("reduce_argmax", kIOS15, make_arg_reduce<true>)
OCML_REGISTER_MIL_OP("reduce_argmin", kIOS15, make_arg_reduce<false>)

}  // namespace opencoreml::mil
