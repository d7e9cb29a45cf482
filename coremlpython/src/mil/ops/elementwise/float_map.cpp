// opencoreml ML program ops: load-time type checks shared by the elementwise unary ops.
#include "mil/ops/elementwise/float_map.hpp"

namespace opencoreml::mil {

void require_unary_input_type(const BuildContext& ctx, bool int32_allowed) {
    if (!ctx.has_input("x")) ctx.fail("missing required input 'x'");
    const InputInfo& x = ctx.input("x");
    if (x.is_list || x.is_string) ctx.fail("input 'x' must be a tensor");
    if (is_float_type(x.dtype)) return;
    if (int32_allowed && x.dtype == DType::Int32) return;
    ctx.fail(std::string("input 'x' has type ") + dtype_name(x.dtype) + "; expected " +
             (int32_allowed ? "fp16, fp32 or int32" : "fp16 or fp32"));
}

}  // namespace opencoreml::mil
