// opencoreml ML program ops: a float operand of a matrix product or convolution (weights,
// bias, a constant matmul side) that is converted to float32 once at load when it is
// constant, and read through RunContext::input_f32 on every run when it is not.
#pragma once

#include <string>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

class F32Operand {
public:
    F32Operand() = default;
    // An absent optional input gives an operand for which present() is false.
    F32Operand(const BuildContext& ctx, const std::string& param);
    // A constant operand made at load by the op itself (e.g. dequantized weights).
    static F32Operand constant(Tensor float32_values);

    bool present() const { return present_; }
    bool is_const() const { return packed_.defined() && present_; }
    DType dtype() const { return dtype_; }  // declared element type
    // The float32 constant (is_const() only).
    const Tensor& constant() const { return packed_; }
    // Float32 values for this run: the packed constant or the converted runtime input.
    Tensor get(RunContext& ctx) const;

private:
    std::string param_;
    bool present_ = false;
    DType dtype_ = DType::Float32;
    Tensor packed_;
};

}  // namespace opencoreml::mil
