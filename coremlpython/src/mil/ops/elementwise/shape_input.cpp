// opencoreml ML program ops: run-time shape and scalar inputs.
#include "mil/ops/elementwise/shape_input.hpp"

namespace opencoreml::mil {

Shape shape_from_input(RunContext& ctx, const std::string& param) {
    const Tensor& t = ctx.input(param);
    if (t.rank() > 1) ctx.fail("'" + param + "' must be a rank-1 tensor of dims, got shape " + shape_to_string(t.shape()));
    if (!is_integer(t.dtype())) ctx.fail("'" + param + "' must hold integers, got " + dtype_name(t.dtype()));
    const Tensor dims = t.to(DType::Int64);
    Shape shape(dims.data<int64_t>(), dims.data<int64_t>() + dims.numel());
    for (int64_t d : shape)
        if (d < 0) ctx.fail("'" + param + "' has a negative dim: " + shape_to_string(shape));
    return shape;
}

double scalar_input(RunContext& ctx, const std::string& param) {
    const Tensor& t = ctx.input(param);
    if (t.numel() != 1) ctx.fail("'" + param + "' must be a single value, got shape " + shape_to_string(t.shape()));
    return *t.to(DType::Float64).data<double>();
}

int64_t int_scalar_input(RunContext& ctx, const std::string& param) {
    const Tensor& t = ctx.input(param);
    if (t.numel() != 1) ctx.fail("'" + param + "' must be a single value, got shape " + shape_to_string(t.shape()));
    return *t.to(DType::Int64).data<int64_t>();
}

}  // namespace opencoreml::mil
