// opencoreml ML program op: constexpr_cast (iOS16; the iOS18 revision only moves the parameters
// from attributes to inputs, which the engine presents alike): a constant fp16 tensor widened to
// the declared output dtype (fp32) once at load.
#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"

namespace opencoreml::mil::compression {
namespace {

std::unique_ptr<Kernel> make_constexpr_cast(const BuildContext& b) {
    const std::string out = b.const_string("output_dtype");
    if (out != "fp32" && out != "fp16") b.unsupported("constexpr_cast to \"" + out + "\" (only fp32 is defined)");
    ParamTensor source(b, "source_val");
    return make_kernel([source](RunContext& ctx) {
        const Tensor& src = source.get(ctx);
        if (src.dtype() == ctx.output_dtype(0)) {
            ctx.set_output(0, src);
            return;
        }
        ctx.store_f32_output(0, to_f32_tensor(src));
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("constexpr_cast", kIOS16, make_constexpr_cast)

}  // namespace opencoreml::mil::compression
