// opencoreml ML program ops: small parameter helpers shared by the image, recurrent,
// compression and misc kernels — numeric tensors viewed as float32, and constant parameters
// captured at load (or read at run time when the engine has not folded them yet).
#pragma once

#include <string>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

// Any numeric tensor as float32 (float32 tensors are returned without a copy).
inline Tensor to_f32_tensor(const Tensor& t) { return t.dtype() == DType::Float32 ? t : t.to(DType::Float32); }

// A constant parameter captured at load when the program gives it as a constant, read from the
// run context otherwise (e.g. the output of another constexpr op not yet folded).
class ParamTensor {
public:
    ParamTensor() = default;
    ParamTensor(const BuildContext& ctx, const std::string& param) : name_(param) {
        present_ = ctx.has_input(param);
        if (present_ && ctx.is_const(param)) {
            value_ = ctx.const_tensor(param);
            known_ = true;
        }
    }
    bool present() const { return present_; }
    bool known() const { return known_; }
    const Tensor& get(const RunContext& ctx) const { return known_ ? value_ : ctx.input(name_); }

private:
    std::string name_;
    bool present_ = false;
    bool known_ = false;
    Tensor value_;
};

}  // namespace opencoreml::mil
