// opencoreml ML program ops: cumsum along an axis (default 0), inclusive or exclusive, from
// the front or (reverse) from the back. fp16/fp32 accumulate in double and round once per
// element (the running sum of fp16 values is exact in double for up to 8192 terms): stored to
// nearest for an fp32 output, to odd for an fp16 output so that its rounding at the op
// boundary gives the correctly rounded sum (reduce/narrow_double.hpp); int32 accumulates in
// int32 (wrapping like numpy's int32 cumsum).
#include <type_traits>

#include "mil/ops/reduce/narrow_double.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

template <typename T> struct CumAcc { using type = double; };
template <> struct CumAcc<int32_t> { using type = uint32_t; };  // unsigned: defined wrap-around

template <typename T, class Store, typename Acc>
T store_sum(Acc a) {
    if constexpr (std::is_same_v<T, float>) return Store()(a);
    else return static_cast<T>(a);
}

// Walks the n positions of each [n, inner] block front to back (or back to front),
// vectorised across the inner columns.
template <typename T, class Store>
void cumsum_blocks(const T* x, T* y, const AxisSplit& s, bool exclusive, bool reverse, ThreadPool& pool) {
    using Acc = typename CumAcc<T>::type;
    const int64_t n = s.n, inner = s.inner;
    pool.parallel_for(s.outer, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, n * inner)), [&](int64_t b, int64_t e) {
        std::vector<Acc> acc(static_cast<size_t>(inner));
        for (int64_t o = b; o < e; ++o) {
            std::fill(acc.begin(), acc.end(), Acc(0));
            for (int64_t step = 0; step < n; ++step) {
                const int64_t k = reverse ? n - 1 - step : step;
                const T* xr = x + (o * n + k) * inner;
                T* yr = y + (o * n + k) * inner;
                for (int64_t i = 0; i < inner; ++i) {
                    Acc& a = acc[static_cast<size_t>(i)];
                    if (exclusive) {
                        yr[i] = store_sum<T, Store>(a);
                        a += static_cast<Acc>(xr[i]);
                    } else {
                        a += static_cast<Acc>(xr[i]);
                        yr[i] = store_sum<T, Store>(a);
                    }
                }
            }
        }
    });
}

std::unique_ptr<Kernel> make_cumsum(const BuildContext& b) {
    const int64_t axis = b.const_int("axis", 0);
    const bool exclusive = b.const_bool("exclusive", false), reverse = b.const_bool("reverse", false);
    return make_kernel([axis, exclusive, reverse](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const AxisSplit s = split_at_axis(x.shape(), normalize_axis(ctx, axis, x.rank()));
        if (x.dtype() == DType::Int32) {
            Tensor& out = ctx.allocate_output(0, DType::Int32, x.shape());
            cumsum_blocks<int32_t, StoreNearest>(x.data<int32_t>(), out.data<int32_t>(), s, exclusive, reverse, ctx.threads());
        } else if (is_floating(x.dtype())) {
            const Tensor x32 = ctx.input_f32("x");
            F32Output out(ctx, 0, x.shape());
            if (ctx.output_dtype(0) == DType::Float16)
                cumsum_blocks<float, StoreOdd>(x32.data<float>(), out.data(), s, exclusive, reverse, ctx.threads());
            else
                cumsum_blocks<float, StoreNearest>(x32.data<float>(), out.data(), s, exclusive, reverse, ctx.threads());
            out.commit();
        } else {
            ctx.fail(std::string("x must be fp16, fp32 or int32, got ") + dtype_name(x.dtype()));
        }
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("cumsum", kIOS15, make_cumsum)

}  // namespace opencoreml::mil
