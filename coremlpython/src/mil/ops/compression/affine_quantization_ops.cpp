// opencoreml ML program ops: affine quantization — constexpr_affine_dequantize (iOS16, weights
// decompressed once at load), quantize and dequantize (iOS17, run-time tensors) and
// constexpr_blockwise_shift_scale (iOS18, int4/uint4/int8/uint8/float data with block-wise
// scale and offset). All compute scale * (data - zero_point) in float32 and round once to the
// output dtype; quantize rounds half to even, adds the zero point and saturates.
#include <algorithm>
#include <cmath>
#include <limits>

#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"
#include "mil/ops/compression/block_runs.hpp"
#include "mil/ops/compression/shift_scale.hpp"
#include "mil/ops/tensor/f32_output.hpp"

namespace opencoreml::mil::compression {
namespace {

// Scale/zero point given as a scalar or a vector along `axis` (iOS16/17 form).
struct PerAxisParams {
    ParamTensor scale, zero_point;
    bool has_axis = false;
    int64_t axis = 0;
};

PerAxisParams read_per_axis(const BuildContext& b, const char* zero_point_name) {
    PerAxisParams p;
    p.scale = ParamTensor(b, "scale");
    p.zero_point = ParamTensor(b, zero_point_name);
    p.has_axis = b.has_input("axis");
    if (p.has_axis) p.axis = b.const_int("axis");
    return p;
}

Shape param_shape_for(RunContext& ctx, const Tensor& data, const Tensor& param, const PerAxisParams& p, const char* name) {
    if (param.numel() > 1 && !p.has_axis) ctx.fail(std::string(name) + " is a vector, so axis is required");
    bool ok = true;
    const Shape shape = per_axis_param_shape(data.shape(), param.shape(), p.axis, ok);
    if (!ok)
        ctx.fail(std::string(name) + " of shape " + shape_to_string(param.shape()) + " does not match axis " +
                 std::to_string(p.axis) + " of data with shape " + shape_to_string(data.shape()));
    return shape;
}

// `param` as float32 laid out in `pshape`: itself when it already is, else its one value repeated.
Tensor expand_to(const Tensor& param, const Shape& pshape) {
    const Tensor f = to_f32_tensor(param);
    if (f.numel() == shape_numel(pshape)) return f;
    Tensor out = Tensor::empty(DType::Float32, pshape);
    std::fill(out.data<float>(), out.data<float>() + out.numel(), f.data<float>()[0]);
    return out;
}

void dequantize_per_axis(RunContext& ctx, const Tensor& data, const PerAxisParams& p) {
    // Scale and zero point are each a scalar or a vector along the axis, independently.
    const Tensor& scale = p.scale.get(ctx);
    Shape pshape = param_shape_for(ctx, data, scale, p, "scale");
    Tensor zero_point;
    if (p.zero_point.present()) {
        zero_point = p.zero_point.get(ctx);
        const Shape zshape = param_shape_for(ctx, data, zero_point, p, "zero_point");
        if (shape_numel(zshape) > shape_numel(pshape)) pshape = zshape;
        zero_point = expand_to(zero_point, pshape);
    }
    F32Output y(ctx, 0, data.shape());
    shift_scale(data, expand_to(scale, pshape), p.zero_point.present() ? &zero_point : nullptr, pshape, y.data());
    y.commit();
}

std::unique_ptr<Kernel> make_constexpr_affine_dequantize(const BuildContext& b) {
    PerAxisParams p = read_per_axis(b, "zero_point");
    if (!b.has_input("zero_point")) b.fail("missing required input 'zero_point'");
    p.has_axis = true;
    p.axis = b.const_int("axis");
    ParamTensor data(b, "quantized_data");
    return make_kernel([p, data](RunContext& ctx) { dequantize_per_axis(ctx, data.get(ctx), p); });
}

std::unique_ptr<Kernel> make_dequantize(const BuildContext& b) {
    PerAxisParams p = read_per_axis(b, "zero_point");
    return make_kernel([p](RunContext& ctx) { dequantize_per_axis(ctx, ctx.input("input"), p); });
}

template <typename Q>
void quantize_into(const float* x, const float* scale, const float* zero, const Shape& shape, const Shape& pshape, Q* out) {
    constexpr float lo = static_cast<float>(std::numeric_limits<Q>::min());
    constexpr float hi = static_cast<float>(std::numeric_limits<Q>::max());
    for_each_block_run(shape, pshape, [&](int64_t begin, int64_t count, int64_t pi) {
        const float s = scale[pi], z = zero ? zero[pi] : 0.0f;
        for (int64_t i = begin; i < begin + count; ++i) {
            const float q = std::nearbyint(x[i] / s) + z;
            out[i] = static_cast<Q>(std::min(hi, std::max(lo, q)));
        }
    });
}

std::unique_ptr<Kernel> make_quantize(const BuildContext& b) {
    PerAxisParams p = read_per_axis(b, "zero_point");
    const std::string out_type = b.const_string("output_dtype");
    if (out_type != "int8" && out_type != "uint8") b.fail("output_dtype must be \"int8\" or \"uint8\", got \"" + out_type + "\"");
    const DType out_dtype = out_type == "int8" ? DType::Int8 : DType::UInt8;
    if (b.has_input("zero_point") && b.input("zero_point").dtype != out_dtype)
        b.fail("zero_point dtype must match output_dtype " + out_type);
    return make_kernel([p, out_dtype](RunContext& ctx) {
        const Tensor x = ctx.input_f32("input");
        const Tensor& raw_scale = p.scale.get(ctx);
        Shape pshape = param_shape_for(ctx, x, raw_scale, p, "scale");
        Tensor zero;
        if (p.zero_point.present()) {
            const Tensor& raw_zero = p.zero_point.get(ctx);
            const Shape zshape = param_shape_for(ctx, x, raw_zero, p, "zero_point");
            if (shape_numel(zshape) > shape_numel(pshape)) pshape = zshape;
            zero = expand_to(raw_zero, pshape);
        }
        const Tensor scale = expand_to(raw_scale, pshape);
        for (int64_t i = 0; i < scale.numel(); ++i)
            if (scale.data<float>()[i] == 0.0f) ctx.fail("scale must not be 0");
        Tensor& y = ctx.allocate_output(0, out_dtype, x.shape());
        const float* zv = p.zero_point.present() ? zero.data<float>() : nullptr;
        if (out_dtype == DType::Int8) quantize_into(x.data<float>(), scale.data<float>(), zv, x.shape(), pshape, y.data<int8_t>());
        else quantize_into(x.data<float>(), scale.data<float>(), zv, x.shape(), pshape, y.data<uint8_t>());
    });
}

std::unique_ptr<Kernel> make_blockwise_shift_scale(const BuildContext& b) {
    ParamTensor data(b, "data"), scale(b, "scale"), offset(b, "offset");
    return make_kernel([data, scale, offset](RunContext& ctx) {
        const Tensor& d = data.get(ctx);
        const Tensor& s = scale.get(ctx);
        if (!divides(d.shape(), s.shape()))
            ctx.fail("scale of shape " + shape_to_string(s.shape()) + " must have data's rank and divide its shape " +
                     shape_to_string(d.shape()));
        Tensor off;
        if (offset.present()) {
            off = offset.get(ctx);
            if (off.shape() != s.shape()) ctx.fail("offset must have the same shape as scale");
        }
        F32Output y(ctx, 0, d.shape());
        shift_scale(d, s, offset.present() ? &off : nullptr, s.shape(), y.data());
        y.commit();
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("constexpr_affine_dequantize", kIOS16, make_constexpr_affine_dequantize)
OCML_REGISTER_MIL_OP("quantize", kIOS17, make_quantize)
OCML_REGISTER_MIL_OP("dequantize", kIOS17, make_dequantize)
OCML_REGISTER_MIL_OP("constexpr_blockwise_shift_scale", kIOS18, make_blockwise_shift_scale)

}  // namespace opencoreml::mil::compression
