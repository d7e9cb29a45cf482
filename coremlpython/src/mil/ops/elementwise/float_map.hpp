// opencoreml ML program ops: the shared machinery of elementwise unary kernels — applying a
// per-element functor over a tensor in parallel (direct fp32 loop, or fp16/bf16 through
// float32 stack blocks), and a Kernel that does this for input "x" with an optional int32
// variant. Each op is then just a small functor (see unary_math.cpp, activations.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "mil/op_api.hpp"
#include "mil/ops/common/float_io.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

// Work per parallel chunk: cheap arithmetic wants long chunks, libm calls shorter ones;
// vectorised transcendental functions (kernels/vec_math) sit in between.
enum class Cost : int64_t { Cheap = 1 << 15, Vectorized = 1 << 14, Transcendental = 1 << 12 };

// A functor with `void array(const float* x, float* y, int64_t n) const` maps whole runs at
// once (a vectorised kernels::vm function) instead of element by element.
template <class Fn, class = void>
struct HasArrayForm : std::false_type {};
template <class Fn>
struct HasArrayForm<Fn, std::void_t<decltype(std::declval<const Fn&>().array(nullptr, nullptr, int64_t{}))>>
    : std::true_type {};

// out[i] = fn(x[i]) for float tensors x and out of the same element count.
template <class Fn>
void map_floats(RunContext& ctx, const Tensor& x, Tensor& out, const Fn& fn, Cost cost) {
    const int64_t n = x.numel();
    const int64_t grain = static_cast<int64_t>(cost);
    if (x.dtype() == DType::Float32 && out.dtype() == DType::Float32) {
        const float* src = x.data<float>();
        float* dst = out.data<float>();
        ctx.threads().parallel_for(n, grain, [&](int64_t begin, int64_t end) {
            if constexpr (HasArrayForm<Fn>::value) fn.array(src + begin, dst + begin, end - begin);
            else
                for (int64_t i = begin; i < end; ++i) dst[i] = fn(src[i]);
        });
        return;
    }
    const DType in_type = x.dtype(), out_type = out.dtype();
    const void* src = x.raw();
    void* dst = out.raw();
    ctx.threads().parallel_for(n, grain, [&](int64_t begin, int64_t end) {
        float buf[kFloatBlock];
        for (int64_t start = begin; start < end; start += kFloatBlock) {
            const int64_t m = std::min(kFloatBlock, end - start);
            load_f32(in_type, src, start, m, buf);
            if constexpr (HasArrayForm<Fn>::value) fn.array(buf, buf, m);
            else
                for (int64_t j = 0; j < m; ++j) buf[j] = fn(buf[j]);
            store_f32(out_type, dst, start, m, buf);
        }
    });
}

// out[i] = fn(x[i]) for same-typed integer tensors.
template <class T, class Fn>
void map_ints(RunContext& ctx, const Tensor& x, Tensor& out, const Fn& fn) {
    const T* src = x.data<T>();
    T* dst = out.data<T>();
    ctx.threads().parallel_for(x.numel(), static_cast<int64_t>(Cost::Cheap), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) dst[i] = fn(src[i]);
    });
}

// Placeholder for ops without an int32 form.
struct NoIntForm {};

// A unary op on input "x": FloatFn (float -> float) for fp16/fp32 tensors and, unless
// IntFn is NoIntForm, IntFn (int32_t -> int32_t) for int32 tensors.
template <class FloatFn, class IntFn = NoIntForm>
class UnaryKernel final : public Kernel {
public:
    UnaryKernel(FloatFn float_fn, IntFn int_fn, Cost cost) : float_fn_(float_fn), int_fn_(int_fn), cost_(cost) {}

    void run(RunContext& ctx) const override {
        const Tensor& x = ctx.input("x");
        const DType out_type = ctx.output_dtype(0);
        if (is_float_type(x.dtype()) && is_float_type(out_type)) {
            Tensor& out = ctx.allocate_output(0, x.shape());
            map_floats(ctx, x, out, float_fn_, cost_);
            return;
        }
        if constexpr (!std::is_same_v<IntFn, NoIntForm>) {
            if (x.dtype() == DType::Int32 && out_type == DType::Int32) {
                Tensor& out = ctx.allocate_output(0, x.shape());
                map_ints<int32_t>(ctx, x, out, int_fn_);
                return;
            }
        }
        ctx.fail(std::string("unsupported input type ") + dtype_name(x.dtype()) + " (output " + dtype_name(out_type) +
                 "); expected " + (std::is_same_v<IntFn, NoIntForm> ? "fp16 or fp32" : "fp16, fp32 or int32"));
    }

private:
    FloatFn float_fn_;
    IntFn int_fn_;
    Cost cost_;
};

// Checks at load that "x" has a type the op accepts (clear error naming the op).
void require_unary_input_type(const BuildContext& ctx, bool int32_allowed);

template <class FloatFn>
std::unique_ptr<Kernel> make_unary(const BuildContext& ctx, FloatFn fn, Cost cost) {
    require_unary_input_type(ctx, false);
    return std::make_unique<UnaryKernel<FloatFn>>(fn, NoIntForm{}, cost);
}

template <class FloatFn, class IntFn>
std::unique_ptr<Kernel> make_unary(const BuildContext& ctx, FloatFn fn, IntFn int_fn, Cost cost) {
    require_unary_input_type(ctx, true);
    return std::make_unique<UnaryKernel<FloatFn, IntFn>>(fn, int_fn, cost);
}

// A functor mapping whole float arrays through one array routine (kernels/vec_math).
template <void (*Fn)(const float*, float*, int64_t)>
struct ArrayFn {
    void array(const float* x, float* y, int64_t n) const { Fn(x, y, n); }
};

// The kernel factory (for OCML_REGISTER_MIL_OP) of a functor without parameters.
template <class FloatFn, Cost C>
std::unique_ptr<Kernel> unary_kernel(const BuildContext& ctx) {
    return make_unary(ctx, FloatFn{}, C);
}

}  // namespace opencoreml::mil
