// opencoreml ML program ops: conv_quantized weight dequantization (see conv_quantized_weight.hpp).
#include "mil/ops/conv/conv_quantized_weight.hpp"

#include <string>

namespace opencoreml::mil {
namespace {

Tensor const_f32(const BuildContext& ctx, const char* param) {
    const InputInfo& info = ctx.input(param);
    if (!info.const_value) ctx.fail(std::string(param) + " must be a constant");
    if (info.dtype != DType::Float16 && info.dtype != DType::Float32)
        ctx.fail(std::string(param) + " must be fp16 or fp32, got " + dtype_name(info.dtype));
    return info.const_value->to(DType::Float32);
}

}  // namespace

Tensor dequantize_conv_weight(const BuildContext& ctx) {
    const InputInfo& w = ctx.input("weight");
    if (!w.const_value) ctx.unsupported("weight must be a constant (quantized weights are decoded at load)");
    if (w.dtype != DType::UInt8) ctx.fail(std::string("weight must be uint8 codes, got ") + dtype_name(w.dtype));
    if (w.shape.size() < 3) ctx.fail("weight must be [C_out, C_in / groups, *kernel], got " + shape_to_string(w.shape));
    const int64_t nbits = ctx.has_input("nbits") ? ctx.const_ints("nbits").at(0) : 8;
    if (nbits < 1 || nbits > 8) ctx.fail("nbits must be in 1..8, got " + std::to_string(nbits));
    const std::string type = ctx.const_string("quantization_type");
    const Tensor scale = const_f32(ctx, "quant_scale");
    const uint8_t* codes = w.const_value->data<uint8_t>();
    const int64_t count = w.const_value->numel(), c_out = w.shape[0], per_channel = c_out ? count / c_out : 0;
    const int64_t levels = int64_t(1) << nbits;
    for (int64_t i = 0; i < count; ++i)
        if (codes[i] >= levels)
            ctx.fail("weight code " + std::to_string(codes[i]) + " does not fit in nbits = " + std::to_string(nbits));

    Tensor out = Tensor::empty(DType::Float32, w.shape);
    float* dst = out.data<float>();
    const float* s = scale.data<float>();
    if (type == "linear") {
        const Tensor bias = const_f32(ctx, "quant_bias");
        const float* b = bias.data<float>();
        for (const Tensor* t : {&scale, &bias})
            if (t->numel() != 1 && t->numel() != c_out)
                ctx.fail("quant_scale and quant_bias must have 1 or C_out = " + std::to_string(c_out) + " values");
        for (int64_t co = 0; co < c_out; ++co) {
            const float sc = s[scale.numel() == 1 ? 0 : co], bi = b[bias.numel() == 1 ? 0 : co];
            for (int64_t i = co * per_channel; i < (co + 1) * per_channel; ++i) dst[i] = codes[i] * sc + bi;
        }
    } else if (type == "lut") {
        if (scale.numel() != levels)
            ctx.fail("a lut conv_quantized needs 2^nbits = " + std::to_string(levels) + " table values in quant_scale, got " +
                     std::to_string(scale.numel()));
        for (int64_t i = 0; i < count; ++i) dst[i] = s[codes[i]];
    } else {
        ctx.fail("quantization_type must be 'linear' or 'lut', got '" + type + "'");
    }
    return out;
}

}  // namespace opencoreml::mil
