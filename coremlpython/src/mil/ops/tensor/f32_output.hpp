// opencoreml ML program ops: typed execution for kernels that compute in float32. Inputs come
// through RunContext::input_f32 (fp32 as is, fp16 widened); F32Output hands out a float32
// buffer — the output itself when it is declared fp32, scratch otherwise — and commit()
// rounds it into the declared dtype at the op boundary.
#pragma once

#include "mil/op_api.hpp"

namespace opencoreml::mil {

class F32Output {
public:
    F32Output(RunContext& ctx, size_t index, const Shape& shape)
        : ctx_(ctx), index_(index), direct_(ctx.output_dtype(index) == DType::Float32) {
        tensor_ = direct_ ? ctx.allocate_output(index, DType::Float32, shape) : ctx.scratch(DType::Float32, shape);
    }
    float* data() { return tensor_.data<float>(); }
    const Tensor& tensor() const { return tensor_; }
    void commit() {
        if (!direct_) ctx_.store_f32_output(index_, tensor_);
    }

private:
    RunContext& ctx_;
    size_t index_;
    bool direct_;
    Tensor tensor_;
};

}  // namespace opencoreml::mil
