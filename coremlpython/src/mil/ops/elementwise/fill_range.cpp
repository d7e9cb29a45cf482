// opencoreml ML program ops: tensors made from constants — fill (shape from a run-time
// int32 tensor), fill_like (iOS16: the shape of `ref_tensor`) and range_1d (numpy's
// arange(start, end, step) for int32, fp16, fp32). fill's value (default 0) is converted
// to the declared output type once at load.
#include <cmath>
#include <cstring>

#include "mil/op_api.hpp"
#include "mil/ops/common/float_io.hpp"
#include "mil/ops/elementwise/shape_input.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {
namespace {

template <class T>
void fill_with(RunContext& ctx, Tensor& out, const void* value) {
    T v;
    std::memcpy(&v, value, sizeof(T));
    T* dst = static_cast<T*>(out.raw());
    ctx.threads().parallel_for(out.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) dst[i] = v;
    });
}

class FillKernel final : public Kernel {
public:
    FillKernel(Tensor value, bool like) : value_(std::move(value)), like_(like) {}

    void run(RunContext& ctx) const override {
        const Shape shape = like_ ? ctx.input("ref_tensor").shape() : shape_from_input(ctx, "shape");
        Tensor& out = ctx.allocate_output(0, value_.dtype(), shape);
        switch (dtype_size(value_.dtype())) {
            case 1: return fill_with<uint8_t>(ctx, out, value_.raw());
            case 2: return fill_with<uint16_t>(ctx, out, value_.raw());
            case 4: return fill_with<uint32_t>(ctx, out, value_.raw());
            case 8: return fill_with<uint64_t>(ctx, out, value_.raw());
            default: ctx.fail(std::string("unsupported output type ") + dtype_name(value_.dtype()));
        }
    }

private:
    Tensor value_;  // one element of the output type
    bool like_;
};

std::unique_ptr<Kernel> make_fill(const BuildContext& ctx, bool like) {
    if (!ctx.has_input(like ? "ref_tensor" : "shape"))
        ctx.fail(std::string("missing required input '") + (like ? "ref_tensor" : "shape") + "'");
    Tensor value = Tensor::scalar<float>(0.0f);
    if (ctx.has_input("value")) {
        value = ctx.const_tensor("value");
        if (value.numel() != 1) ctx.fail("'value' must be a single value, got shape " + shape_to_string(value.shape()));
    }
    const DType out_type = ctx.output_dtype(0);
    if (!is_float_type(out_type) && out_type != DType::Int32 && out_type != DType::Bool)
        ctx.fail(std::string("unsupported output type ") + dtype_name(out_type));
    return std::make_unique<FillKernel>(value.reshaped({}).to(out_type).clone(), like);
}

// numpy's arange: ceil((end - start) / step) elements start + i * step (none when the
// range is empty); computed in the op's type — exactly for int32, in float32 for floats.
void run_range(RunContext& ctx) {
    const DType type = ctx.input("start").dtype();
    if (ctx.input("end").dtype() != type || ctx.input("step").dtype() != type)
        ctx.fail("start, end and step must have the same type");
    if (type == DType::Int32) {
        const int64_t start = int_scalar_input(ctx, "start"), end = int_scalar_input(ctx, "end");
        const int64_t step = int_scalar_input(ctx, "step");
        if (step == 0) ctx.fail("step must not be 0");
        const int64_t span = end - start;
        const int64_t count = (span == 0 || (span > 0) != (step > 0)) ? 0 : (span + step - (step > 0 ? 1 : -1)) / step;
        Tensor& out = ctx.allocate_output(0, DType::Int32, {count});
        int32_t* dst = out.data<int32_t>();
        for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<int32_t>(start + i * step);
        return;
    }
    if (!is_float_type(type)) ctx.fail(std::string("unsupported type ") + dtype_name(type) + "; expected int32, fp16 or fp32");
    const double start = scalar_input(ctx, "start"), end = scalar_input(ctx, "end"), step = scalar_input(ctx, "step");
    if (step == 0.0) ctx.fail("step must not be 0");
    const double length = std::ceil((end - start) / step);
    if (!(length < 2147483648.0)) ctx.fail("the range is too long or not finite");
    const int64_t count = length > 0.0 ? static_cast<int64_t>(length) : 0;
    Tensor& out = ctx.allocate_output(0, type, {count});
    const float first = static_cast<float>(start), delta = static_cast<float>(step);
    float buf[kFloatBlock];
    for (int64_t s = 0; s < count; s += kFloatBlock) {
        const int64_t m = std::min(kFloatBlock, count - s);
        for (int64_t j = 0; j < m; ++j) buf[j] = first + static_cast<float>(s + j) * delta;
        store_f32(type, out.raw(), s, m, buf);
    }
}

std::unique_ptr<Kernel> make_range(const BuildContext& ctx) {
    for (const char* param : {"start", "end", "step"})
        if (!ctx.has_input(param)) ctx.fail(std::string("missing required input '") + param + "'");
    return make_kernel(run_range);
}

}  // namespace

OCML_REGISTER_MIL_OP("fill", kIOS15, [](const BuildContext& ctx) { return make_fill(ctx, false); })
OCML_REGISTER_MIL_OP("fill_like", kIOS16, [](const BuildContext& ctx) { return make_fill(ctx, true); })
OCML_REGISTER_MIL_OP("range_1d", kIOS15, make_range)

}  // namespace opencoreml::mil
