// opencoreml ML program ops: F32Operand (see float_operand.hpp).
#include "mil/ops/linalg/float_operand.hpp"

namespace opencoreml::mil {

F32Operand::F32Operand(const BuildContext& ctx, const std::string& param) : param_(param) {
    if (!ctx.has_input(param)) return;
    present_ = true;
    const InputInfo& info = ctx.input(param);
    dtype_ = info.dtype;
    if (!info.const_value) return;
    // A float32 constant is shared (it may be a memory-mapped weight blob); others are
    // converted once here instead of on every prediction.
    packed_ = info.const_value->dtype() == DType::Float32 ? *info.const_value : info.const_value->to(DType::Float32);
}

F32Operand F32Operand::constant(Tensor float32_values) {
    F32Operand op;
    op.present_ = true;
    op.dtype_ = DType::Float32;
    op.packed_ = std::move(float32_values);
    return op;
}

Tensor F32Operand::get(RunContext& ctx) const {
    if (packed_.defined() && present_) return packed_;
    return ctx.input_f32(param_);
}

}  // namespace opencoreml::mil
