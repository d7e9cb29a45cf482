// opencoreml ML program ops: select (numpy's where: cond ? a : b, the three operands
// broadcast together; cond bool, a and b of one type — fp16, fp32, int32 or bool) and
// identity (passes any value through: tensor, list or dictionary, sharing storage).
#include <cstdint>
#include <cstring>

#include "mil/op_api.hpp"
#include "mil/ops/common/broadcast.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

// Selecting copies whole elements, so only the element size matters.
template <class T>
void select_elements(RunContext& ctx, const BroadcastPlan& plan, const uint8_t* cond, const T* a, const T* b, T* out) {
    const int64_t sc = plan.inner_stride(0), sa = plan.inner_stride(1), sb = plan.inner_stride(2);
    ctx.threads().parallel_for(plan.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
        plan.for_each_span(begin, end, [&](int64_t o, const BroadcastPlan::Offsets& at, int64_t n) {
            const uint8_t* c = cond + at[0];
            const T* pa = a + at[1];
            const T* pb = b + at[2];
            T* dst = out + o;
            if (sc && sa && sb) {
                for (int64_t i = 0; i < n; ++i) dst[i] = c[i] ? pa[i] : pb[i];
            } else {
                for (int64_t i = 0; i < n; ++i) dst[i] = c[i * sc] ? pa[i * sa] : pb[i * sb];
            }
        });
    });
}

void run_select(RunContext& ctx) {
    const Tensor& cond = ctx.input("cond");
    const Tensor& a = ctx.input("a");
    const Tensor& b = ctx.input("b");
    if (cond.dtype() != DType::Bool) ctx.fail(std::string("'cond' must be bool, got ") + dtype_name(cond.dtype()));
    if (a.dtype() != b.dtype())
        ctx.fail(std::string("'a' and 'b' must have the same type, got ") + dtype_name(a.dtype()) + " and " +
                 dtype_name(b.dtype()));
    Shape shape;
    if (!broadcast_shapes({&cond.shape(), &a.shape(), &b.shape()}, shape))
        ctx.fail("cond " + shape_to_string(cond.shape()) + ", a " + shape_to_string(a.shape()) + " and b " +
                 shape_to_string(b.shape()) + " do not broadcast");
    Tensor& out = ctx.allocate_output(0, a.dtype(), shape);
    const BroadcastPlan plan({&cond.shape(), &a.shape(), &b.shape()}, shape);
    const uint8_t* c = static_cast<const uint8_t*>(cond.raw());
    switch (dtype_size(a.dtype())) {
        case 1:
            return select_elements(ctx, plan, c, static_cast<const uint8_t*>(a.raw()), static_cast<const uint8_t*>(b.raw()),
                                   static_cast<uint8_t*>(out.raw()));
        case 2:
            return select_elements(ctx, plan, c, static_cast<const uint16_t*>(a.raw()), static_cast<const uint16_t*>(b.raw()),
                                   static_cast<uint16_t*>(out.raw()));
        case 4:
            return select_elements(ctx, plan, c, static_cast<const uint32_t*>(a.raw()), static_cast<const uint32_t*>(b.raw()),
                                   static_cast<uint32_t*>(out.raw()));
        case 8:
            return select_elements(ctx, plan, c, static_cast<const uint64_t*>(a.raw()), static_cast<const uint64_t*>(b.raw()),
                                   static_cast<uint64_t*>(out.raw()));
        default: ctx.fail(std::string("unsupported element type ") + dtype_name(a.dtype()));
    }
}

std::unique_ptr<Kernel> make_select(const BuildContext& ctx) {
    for (const char* param : {"cond", "a", "b"})
        if (!ctx.has_input(param)) ctx.fail(std::string("missing required input '") + param + "'");
    if (ctx.input("cond").dtype != DType::Bool)
        ctx.fail(std::string("'cond' has type ") + dtype_name(ctx.input("cond").dtype) + "; expected bool");
    if (ctx.input("a").dtype != ctx.input("b").dtype)
        ctx.fail(std::string("'a' and 'b' must have the same type, got ") + dtype_name(ctx.input("a").dtype) + " and " +
                 dtype_name(ctx.input("b").dtype));
    if (ctx.output_dtype(0) != ctx.input("a").dtype)
        ctx.fail(std::string("output declared ") + dtype_name(ctx.output_dtype(0)) + " but 'a' and 'b' are " +
                 dtype_name(ctx.input("a").dtype));
    return make_kernel(run_select);
}

std::unique_ptr<Kernel> make_identity(const BuildContext& ctx) {
    if (!ctx.has_input("x")) ctx.fail("missing required input 'x'");
    return make_kernel([](RunContext& run) { run.set_output(0, run.input_value("x")); });
}

}  // namespace

OCML_REGISTER_MIL_OP("select", kIOS15, make_select)
OCML_REGISTER_MIL_OP("identity", kIOS15, make_identity)

}  // namespace opencoreml::mil
