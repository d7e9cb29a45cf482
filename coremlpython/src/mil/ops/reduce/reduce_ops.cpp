// opencoreml ML program ops: the value reductions — reduce_sum, reduce_mean, reduce_prod,
// reduce_max, reduce_min, reduce_l1_norm, reduce_l2_norm, reduce_sum_square, reduce_log_sum
// and reduce_log_sum_exp over `axes` (default: all) with keep_dims. fp16/fp32 inputs compute
// in fp32 with double accumulators for sums; int32 inputs accumulate in int64 (or double for
// mean, norms and logs) and truncate toward zero like numpy's astype(int32). A float result
// stays in double until it is stored: rounded to nearest for an fp32 output, to odd for an
// fp16 output, so that the fp16 rounding at the op boundary is the only one that counts
// (narrow_double.hpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "mil/ops/reduce/narrow_double.hpp"
#include "mil/ops/reduce/reduce_plan.hpp"
#include "mil/ops/tensor/f32_output.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

template <typename T> struct Wide { using type = double; };
template <> struct Wide<int32_t> { using type = int64_t; };
// What finish() returns: float results stay double until stored (StoreNearest / StoreOdd).
template <typename T> struct Result { using type = double; };
template <> struct Result<int32_t> { using type = int32_t; };

template <typename T>
typename Result<T>::type narrow(double v) {
    if constexpr (std::is_same_v<T, float>) {
        return v;
    } else {
        if (std::isnan(v)) return 0;
        if (v >= 2147483647.0) return std::numeric_limits<int32_t>::max();
        if (v <= -2147483648.0) return std::numeric_limits<int32_t>::min();
        return static_cast<int32_t>(v);
    }
}

// A reduction is term() per element, combined by add() from init(), then finish(acc, count).
template <typename T> struct SumOp {
    using Acc = typename Wide<T>::type;
    static Acc init() { return 0; }
    static Acc term(T x) { return static_cast<Acc>(x); }
    using R = typename Result<T>::type;
    static void add(Acc& a, Acc t) { a += t; }
    static R finish(Acc a, int64_t) { return static_cast<R>(a); }
};
template <typename T> struct MeanOp : SumOp<T> {
    using Acc = typename Wide<T>::type;
    static typename Result<T>::type finish(Acc a, int64_t n) { return narrow<T>(static_cast<double>(a) / static_cast<double>(n)); }
};
template <typename T> struct L1Op : SumOp<T> {
    using Acc = typename Wide<T>::type;
    static Acc term(T x) { return std::abs(static_cast<Acc>(x)); }
};
template <typename T> struct SumSquareOp : SumOp<T> {
    using Acc = typename Wide<T>::type;
    static Acc term(T x) { return static_cast<Acc>(x) * static_cast<Acc>(x); }
};
template <typename T> struct L2Op : SumSquareOp<T> {
    using Acc = typename Wide<T>::type;
    static typename Result<T>::type finish(Acc a, int64_t) { return narrow<T>(std::sqrt(static_cast<double>(a))); }
};
template <typename T> struct LogSumOp : SumOp<T> {
    using Acc = typename Wide<T>::type;
    static typename Result<T>::type finish(Acc a, int64_t) { return narrow<T>(std::log(static_cast<double>(a))); }
};
template <typename T> struct ProdOp {
    using Acc = typename Wide<T>::type;
    static Acc init() { return 1; }
    static Acc term(T x) { return static_cast<Acc>(x); }
    static void add(Acc& a, Acc t) { a *= t; }
    static typename Result<T>::type finish(Acc a, int64_t) { return static_cast<typename Result<T>::type>(a); }
};
// max/min propagate NaN like numpy: once the accumulator is NaN it stays NaN.
template <typename T> struct MaxOp {
    using Acc = T;
    static Acc init() { return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest(); }
    static Acc term(T x) { return x; }
    static void add(Acc& a, Acc t) { a = (t > a || t != t) ? t : a; }
    static typename Result<T>::type finish(Acc a, int64_t) { return a; }
};
template <typename T> struct MinOp {
    using Acc = T;
    static Acc init() { return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max(); }
    static Acc term(T x) { return x; }
    static void add(Acc& a, Acc t) { a = (t < a || t != t) ? t : a; }
    static typename Result<T>::type finish(Acc a, int64_t) { return a; }
};

constexpr int kLanes = 8;
constexpr int64_t kReduceGrain = 1 << 14;  // elements per parallel chunk

// One contiguous run of n elements; independent lanes let the compiler vectorise.
template <typename T, class Op>
typename Op::Acc reduce_run(const T* p, int64_t n) {
    using Acc = typename Op::Acc;
    Acc lanes[kLanes];
    for (auto& l : lanes) l = Op::init();
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes)
        for (int l = 0; l < kLanes; ++l) Op::add(lanes[l], Op::term(p[k + l]));
    for (; k < n; ++k) Op::add(lanes[0], Op::term(p[k]));
    for (int l = 1; l < kLanes; ++l) Op::add(lanes[0], lanes[l]);
    return lanes[0];
}

template <typename T, class Op, class Store>
void reduce_block(const T* x, T* out, const ReducePlan& p, ThreadPool& pool) {
    const Store store;
    using Acc = typename Op::Acc;
    const int64_t r = p.reduced, inner = p.inner;
    if (inner == 1) {
        if (p.outer == 1 && r >= 4 * kReduceGrain) {  // one long run: partial results per chunk
            std::vector<Acc> partial(static_cast<size_t>((r + kReduceGrain - 1) / kReduceGrain), Op::init());
            pool.parallel_for(static_cast<int64_t>(partial.size()), 1, [&](int64_t b, int64_t e) {
                for (int64_t c = b; c < e; ++c) {
                    const int64_t lo = c * kReduceGrain, n = std::min(r, lo + kReduceGrain) - lo;
                    partial[static_cast<size_t>(c)] = reduce_run<T, Op>(x + lo, n);
                }
            });
            Acc total = Op::init();
            for (Acc a : partial) Op::add(total, a);
            out[0] = store(Op::finish(total, r));
            return;
        }
        pool.parallel_for(p.outer, std::max<int64_t>(1, kReduceGrain / std::max<int64_t>(1, r)), [&](int64_t b, int64_t e) {
            for (int64_t o = b; o < e; ++o) out[o] = store(Op::finish(reduce_run<T, Op>(x + o * r, r), r));
        });
        return;
    }
    pool.parallel_for(p.outer, std::max<int64_t>(1, kReduceGrain / std::max<int64_t>(1, r * inner)), [&](int64_t b, int64_t e) {
        std::vector<Acc> acc(static_cast<size_t>(inner));
        for (int64_t o = b; o < e; ++o) {
            std::fill(acc.begin(), acc.end(), Op::init());
            for (int64_t k = 0; k < r; ++k) {
                const T* row = x + (o * r + k) * inner;
                for (int64_t i = 0; i < inner; ++i) Op::add(acc[static_cast<size_t>(i)], Op::term(row[i]));
            }
            T* dst = out + o * inner;
            for (int64_t i = 0; i < inner; ++i) dst[i] = store(Op::finish(acc[static_cast<size_t>(i)], r));
        }
    });
}

// log(sum(exp(x - m))) + m with m the maximum, so large inputs do not overflow.
template <typename T, class Store>
void log_sum_exp_block(const T* x, T* out, const ReducePlan& p, ThreadPool& pool) {
    const Store store;
    const int64_t r = p.reduced, inner = p.inner;
    pool.parallel_for(p.outer, std::max<int64_t>(1, kReduceGrain / std::max<int64_t>(1, r * inner)), [&](int64_t b, int64_t e) {
        std::vector<double> m(static_cast<size_t>(inner)), s(static_cast<size_t>(inner));
        for (int64_t o = b; o < e; ++o) {
            const T* base = x + o * r * inner;
            std::fill(m.begin(), m.end(), -std::numeric_limits<double>::infinity());
            std::fill(s.begin(), s.end(), 0.0);
            for (int64_t k = 0; k < r; ++k)
                for (int64_t i = 0; i < inner; ++i) {
                    const double v = static_cast<double>(base[k * inner + i]);
                    double& mi = m[static_cast<size_t>(i)];
                    mi = (v > mi || v != v) ? v : mi;
                }
            for (int64_t k = 0; k < r; ++k)
                for (int64_t i = 0; i < inner; ++i) {
                    const double mi = m[static_cast<size_t>(i)];
                    if (std::isfinite(mi)) s[static_cast<size_t>(i)] += std::exp(static_cast<double>(base[k * inner + i]) - mi);
                }
            for (int64_t i = 0; i < inner; ++i) {
                const double mi = m[static_cast<size_t>(i)];
                out[o * inner + i] = store(narrow<T>(std::isfinite(mi) ? std::log(s[static_cast<size_t>(i)]) + mi : mi));
            }
        }
    });
}

enum class Reduction { Sum, Mean, Prod, Max, Min, L1, L2, SumSquare, LogSum, LogSumExp };

template <typename T, class Store>
void reduce_typed(Reduction kind, const T* x, T* out, const ReducePlan& p, ThreadPool& pool) {
    switch (kind) {
        case Reduction::Sum: return reduce_block<T, SumOp<T>, Store>(x, out, p, pool);
        case Reduction::Mean: return reduce_block<T, MeanOp<T>, Store>(x, out, p, pool);
        case Reduction::Prod: return reduce_block<T, ProdOp<T>, Store>(x, out, p, pool);
        case Reduction::Max: return reduce_block<T, MaxOp<T>, Store>(x, out, p, pool);
        case Reduction::Min: return reduce_block<T, MinOp<T>, Store>(x, out, p, pool);
        case Reduction::L1: return reduce_block<T, L1Op<T>, Store>(x, out, p, pool);
        case Reduction::L2: return reduce_block<T, L2Op<T>, Store>(x, out, p, pool);
        case Reduction::SumSquare: return reduce_block<T, SumSquareOp<T>, Store>(x, out, p, pool);
        case Reduction::LogSum: return reduce_block<T, LogSumOp<T>, Store>(x, out, p, pool);
        case Reduction::LogSumExp: return log_sum_exp_block<T, Store>(x, out, p, pool);
    }
}

class ReduceKernel final : public Kernel {
public:
    ReduceKernel(Reduction kind, AxesParam axes, bool keep_dims) : kind_(kind), axes_(std::move(axes)), keep_dims_(keep_dims) {}

    void run(RunContext& ctx) const override {
        const Tensor& x = ctx.input("x");
        const ReducePlan plan = plan_reduce(x.shape(), axes_.resolve(ctx, x.rank()), keep_dims_);
        const bool needs_elements = kind_ == Reduction::Max || kind_ == Reduction::Min || kind_ == Reduction::LogSumExp;
        if (needs_elements && plan.reduced == 0 && plan.outer * plan.inner > 0)
            ctx.fail("cannot reduce over an empty axis of an input of shape " + shape_to_string(x.shape()));
        if (x.dtype() == DType::Int32) {
            const Tensor src = reduce_layout(ctx, x, plan);
            Tensor& out = ctx.allocate_output(0, DType::Int32, plan.out_shape);
            reduce_typed<int32_t, StoreNearest>(kind_, src.data<int32_t>(), out.data<int32_t>(), plan, ctx.threads());
        } else if (is_floating(x.dtype())) {
            const Tensor src = reduce_layout(ctx, ctx.input_f32("x"), plan);
            F32Output out(ctx, 0, plan.out_shape);
            if (ctx.output_dtype(0) == DType::Float16)
                reduce_typed<float, StoreOdd>(kind_, src.data<float>(), out.data(), plan, ctx.threads());
            else
                reduce_typed<float, StoreNearest>(kind_, src.data<float>(), out.data(), plan, ctx.threads());
            out.commit();
        } else {
            ctx.fail(std::string("x must be fp16, fp32 or int32, got ") + dtype_name(x.dtype()));
        }
    }

private:
    Reduction kind_;
    AxesParam axes_;
    bool keep_dims_;
};

KernelFactory reduction(Reduction kind) {
    return [kind](const BuildContext& ctx) -> std::unique_ptr<Kernel> {
        return std::make_unique<ReduceKernel>(kind, AxesParam::read(ctx, "axes"), ctx.const_bool("keep_dims", false));
    };
}

}  // namespace

OCML_REGISTER_MIL_OP("reduce_sum", kIOS15, reduction(Reduction::Sum))
OCML_REGISTER_MIL_OP("reduce_mean", kIOS15, reduction(Reduction::Mean))
OCML_REGISTER_MIL_OP("reduce_prod", kIOS15, reduction(Reduction::Prod))
OCML_REGISTER_MIL_OP("reduce_max", kIOS15, reduction(Reduction::Max))
OCML_REGISTER_MIL_OP("reduce_min", kIOS15, reduction(Reduction::Min))
OCML_REGISTER_MIL_OP("reduce_l1_norm", kIOS15, reduction(Reduction::L1))
OCML_REGISTER_MIL_OP("reduce_l2_norm", kIOS15, reduction(Reduction::L2))
OCML_REGISTER_MIL_OP("reduce_sum_square", kIOS15, reduction(Reduction::SumSquare))
OCML_REGISTER_MIL_OP("reduce_log_sum", kIOS15, reduction(Reduction::LogSum))
OCML_REGISTER_MIL_OP("reduce_log_sum_exp", kIOS15, reduction(Reduction::LogSumExp))

}  // namespace opencoreml::mil
