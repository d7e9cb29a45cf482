// opencoreml ML program ops: the elementwise binary ops of the iOS15 opset with numpy
// broadcasting — arithmetic (add, sub, mul, real_div, floor_div, mod, pow, maximum,
// minimum: fp16/fp32/int32 in, same type out), comparisons (equal, not_equal, greater,
// greater_equal, less, less_equal: fp16/fp32/int32 in, bool out) and logical_and/or/xor
// (bool). Scalar semantics are in binary_functions.hpp; iteration in common/broadcast.hpp.
// A relu / relu6 / clip after a float arithmetic op is fused into it at load.
#include <algorithm>

#include "mil/op_api.hpp"
#include "mil/ops/common/broadcast.hpp"
#include "mil/ops/common/float_io.hpp"
#include "mil/ops/elementwise/binary_functions.hpp"
#include "mil/ops/linalg/epilogue.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

enum class Family { Arithmetic, Comparison, Logical };

constexpr int64_t kCheapGrain = 1 << 15, kCostlyGrain = 1 << 12;

// Writes f over the broadcast of a and b into out (all typed, out already allocated).
template <class R, class A, class B, class F>
void run_typed(RunContext& ctx, const BroadcastPlan& plan, R* out, const A* a, const B* b, const F& f, int64_t grain) {
    ctx.threads().parallel_for(plan.numel(), grain, [&](int64_t begin, int64_t end) {
        plan.for_each_span(begin, end, [&](int64_t o, const BroadcastPlan::Offsets& at, int64_t n) {
            apply_binary_span(out + o, a + at[0], plan.inner_stride(0), b + at[1], plan.inner_stride(1), n, f);
        });
    });
}

// Operand elements [offset, offset + count) as float32: a pointer into an fp32 tensor, or
// converted into `buf` (count is 1 for an operand held fixed along the span).
inline const float* float_run(const Tensor& t, int64_t offset, int64_t count, float* buf) {
    if (t.dtype() == DType::Float32) return static_cast<const float*>(t.raw()) + offset;
    load_f32(t.dtype(), t.raw(), offset, count, buf);
    return buf;
}

// Float operands of any float type (fp16, or mixed): each span is processed in stack blocks
// converted on the fly, so fp16 needs no full-size float32 copies and converts in parallel.
// Results go straight into a bool (byte) or fp32 output, or are rounded into an fp16 one.
template <bool kBoolOut, class F>
void run_float_blocks(RunContext& ctx, const BroadcastPlan& plan, const Tensor& x, const Tensor& y, Tensor& out,
                      const F& f, int64_t grain) {
    const DType out_type = out.dtype();
    void* dst = out.raw();
    const int64_t sa = plan.inner_stride(0), sb = plan.inner_stride(1);
    ctx.threads().parallel_for(plan.numel(), grain, [&](int64_t begin, int64_t end) {
        float abuf[kFloatBlock], bbuf[kFloatBlock], rbuf[kFloatBlock];
        plan.for_each_span(begin, end, [&](int64_t o, const BroadcastPlan::Offsets& at, int64_t n) {
            for (int64_t s = 0; s < n; s += kFloatBlock) {
                const int64_t m = std::min(kFloatBlock, n - s);
                const float* a = float_run(x, at[0] + s * sa, sa ? m : 1, abuf);
                const float* b = float_run(y, at[1] + s * sb, sb ? m : 1, bbuf);
                if constexpr (kBoolOut) {
                    apply_binary_span(static_cast<uint8_t*>(dst) + o + s, a, sa, b, sb, m, f);
                } else if (out_type == DType::Float32) {
                    apply_binary_span(static_cast<float*>(dst) + o + s, a, sa, b, sb, m, f);
                } else {
                    apply_binary_span(rbuf, a, sa, b, sb, m, f);
                    store_f32(out_type, dst, o + s, m, rbuf);
                }
            }
        });
    });
}

// Op followed by a fused relu / relu6 / clip, for float results.
template <class Op>
struct Clamped {
    static constexpr bool kCostly = Op::kCostly;
    Op op;
    float lo, hi;
    float operator()(float a, float b) const { return std::min(std::max(op(a, b), lo), hi); }
};

template <class Op, Family kFamily>
class BinaryKernel final : public Kernel, public ClampFusable {
public:
    explicit BinaryKernel(bool float_math) : float_math_(float_math) {}

    // A following clamp on float arithmetic (an fp16 result too: rounding to nearest is
    // monotonic and the bounds are the clamp's own fp16 constants, so clamping before the
    // rounding gives the same values as after it).
    bool fuse_clamp(float lo, float hi) override {
        if (kFamily != Family::Arithmetic || !float_math_ || epilogue_.active()) return false;
        epilogue_ = {lo, hi};
        return true;
    }

    void run(RunContext& ctx) const override {
        if constexpr (kFamily == Family::Arithmetic) {
            if (epilogue_.active()) return run_with(ctx, Clamped<Op>{Op{}, epilogue_.lo, epilogue_.hi});
        }
        run_with(ctx, Op{});
    }

private:
    template <class F>
    void run_with(RunContext& ctx, const F& op) const {
        const Tensor& x = ctx.input("x");
        const Tensor& y = ctx.input("y");
        Shape shape;
        if (!broadcast_shapes({&x.shape(), &y.shape()}, shape))
            ctx.fail("x " + shape_to_string(x.shape()) + " and y " + shape_to_string(y.shape()) + " do not broadcast");
        const int64_t grain = Op::kCostly ? kCostlyGrain : kCheapGrain;
        if constexpr (kFamily == Family::Logical) {
            if (x.dtype() != DType::Bool || y.dtype() != DType::Bool)
                ctx.fail(std::string("x and y must be bool, got ") + dtype_name(x.dtype()) + " and " + dtype_name(y.dtype()));
            Tensor& out = ctx.allocate_output(0, DType::Bool, shape);
            const BroadcastPlan plan({&x.shape(), &y.shape()}, shape);
            run_typed(ctx, plan, static_cast<uint8_t*>(out.raw()), static_cast<const uint8_t*>(x.raw()),
                      static_cast<const uint8_t*>(y.raw()), op, grain);
        } else if (x.dtype() == DType::Int32 && y.dtype() == DType::Int32) {
            const BroadcastPlan plan({&x.shape(), &y.shape()}, shape);
            const int32_t* a = x.data<int32_t>();
            const int32_t* b = y.data<int32_t>();
            if constexpr (kFamily == Family::Comparison) {
                Tensor& out = ctx.allocate_output(0, DType::Bool, shape);
                run_typed(ctx, plan, static_cast<uint8_t*>(out.raw()), a, b, op, grain);
            } else {
                Tensor& out = ctx.allocate_output(0, DType::Int32, shape);
                run_typed(ctx, plan, out.data<int32_t>(), a, b, op, grain);
            }
        } else if (is_float_type(x.dtype()) && is_float_type(y.dtype())) {
            const BroadcastPlan plan({&x.shape(), &y.shape()}, shape);
            const DType out_type = kFamily == Family::Comparison ? DType::Bool : ctx.output_dtype(0);
            if (kFamily != Family::Comparison && !is_float_type(out_type))
                ctx.fail(std::string("float inputs but the output is declared ") + dtype_name(out_type));
            Tensor& out = ctx.allocate_output(0, out_type, shape);
            const bool all_fp32 = x.dtype() == DType::Float32 && y.dtype() == DType::Float32;
            if constexpr (kFamily == Family::Comparison) {
                if (all_fp32) {
                    run_typed(ctx, plan, static_cast<uint8_t*>(out.raw()), x.data<float>(), y.data<float>(), op, grain);
                    return;
                }
            } else if (all_fp32 && out_type == DType::Float32) {
                run_typed(ctx, plan, out.data<float>(), x.data<float>(), y.data<float>(), op, grain);
                return;
            }
            run_float_blocks<kFamily == Family::Comparison>(ctx, plan, x, y, out, op, grain);
        } else {
            ctx.fail(std::string("x and y must both be fp16/fp32 or both int32, got ") + dtype_name(x.dtype()) + " and " +
                     dtype_name(y.dtype()));
        }
    }

    bool float_math_;  // float operands and a float result (declared at load)
    Epilogue epilogue_;
};

// Load-time check of the declared operand types.
template <class Op, Family kFamily>
std::unique_ptr<Kernel> make_binary(const BuildContext& ctx) {
    for (const char* param : {"x", "y"}) {
        if (!ctx.has_input(param)) ctx.fail(std::string("missing required input '") + param + "'");
        const InputInfo& in = ctx.input(param);
        const bool ok = kFamily == Family::Logical ? in.dtype == DType::Bool
                                                   : (is_float_type(in.dtype) || in.dtype == DType::Int32);
        if (!ok || in.is_list || in.is_string)
            ctx.fail(std::string("input '") + param + "' has type " + dtype_name(in.dtype) + "; expected " +
                     (kFamily == Family::Logical ? "bool" : "fp16, fp32 or int32"));
    }
    const DType x = ctx.input("x").dtype, y = ctx.input("y").dtype;
    if ((x == DType::Int32) != (y == DType::Int32))
        ctx.fail(std::string("x and y must have the same type, got ") + dtype_name(x) + " and " + dtype_name(y));
    return std::make_unique<BinaryKernel<Op, kFamily>>(is_float_type(x) && is_float_type(y) &&
                                                       is_float_type(ctx.output_dtype(0)));
}

}  // namespace

#define OCML_BINARY_OP(name, Op, family) \
    OCML_REGISTER_MIL_OP(name, kIOS15, (make_binary<binary::Op, Family::family>))
OCML_BINARY_OP("add", Add, Arithmetic)
OCML_BINARY_OP("sub", Sub, Arithmetic)
OCML_BINARY_OP("mul", Mul, Arithmetic)
OCML_BINARY_OP("real_div", RealDiv, Arithmetic)
OCML_BINARY_OP("floor_div", FloorDiv, Arithmetic)
OCML_BINARY_OP("mod", Mod, Arithmetic)
OCML_BINARY_OP("pow", Pow, Arithmetic)
OCML_BINARY_OP("maximum", Maximum, Arithmetic)
OCML_BINARY_OP("minimum", Minimum, Arithmetic)
OCML_BINARY_OP("equal", Equal, Comparison)
OCML_BINARY_OP("not_equal", NotEqual, Comparison)
OCML_BINARY_OP("greater", Greater, Comparison)
OCML_BINARY_OP("greater_equal", GreaterEqual, Comparison)
OCML_BINARY_OP("less", Less, Comparison)
OCML_BINARY_OP("less_equal", LessEqual, Comparison)
OCML_BINARY_OP("logical_and", LogicalAnd, Logical)
OCML_BINARY_OP("logical_or", LogicalOr, Logical)
OCML_BINARY_OP("logical_xor", LogicalXor, Logical)
#undef OCML_BINARY_OP

}  // namespace opencoreml::mil
