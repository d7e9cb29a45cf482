// opencoreml ML program ops: sparse weights — constexpr_sparse_to_dense (iOS16: bit-packed
// byte mask plus explicit shape; iOS18: one mask value per element, shaped like the output) and
// constexpr_sparse_blockwise_shift_scale (iOS18: dequantizes a sparse tensor's present values
// with block-wise scale/offset laid over the dense shape, giving the mask and the values).
#include <vector>

#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"
#include "mil/ops/compression/block_runs.hpp"
#include "mil/ops/compression/decompress.hpp"
#include "mil/ops/compression/packed_bits.hpp"
#include "mil/ops/compression/shift_scale.hpp"
#include "mil/ops/tensor/f32_output.hpp"

namespace opencoreml::mil::compression {
namespace {

void densify_into_output(RunContext& ctx, const uint8_t* mask, const Shape& shape, const Tensor& values) {
    const DType declared = ctx.output_dtype(0);
    if (dtype_size(declared) != dtype_size(values.dtype()))
        ctx.fail(std::string("output is declared ") + dtype_name(declared) + " but nonzero_data is " + dtype_name(values.dtype()));
    if (values.rank() != 1) ctx.fail("nonzero_data must be a vector, got shape " + shape_to_string(values.shape()));
    Tensor& y = ctx.allocate_output(0, declared, shape);
    if (!densify(mask, y.numel(), values.raw(), values.numel(), dtype_size(values.dtype()), y.raw()))
        ctx.fail("the number of set mask bits differs from the " + std::to_string(values.numel()) + " values of nonzero_data");
}

std::unique_ptr<Kernel> make_sparse_to_dense_ios16(const BuildContext& b) {
    ParamTensor nonzero(b, "nonzero_data"), mask(b, "mask");
    const std::vector<int64_t> dims = b.const_ints("shape");
    const Shape shape(dims.begin(), dims.end());
    return make_kernel([nonzero, mask, shape](RunContext& ctx) {
        const Tensor& packed = mask.get(ctx);
        std::vector<uint8_t> bits;
        if (!unpack_bits(static_cast<const uint8_t*>(packed.raw()), packed.nbytes(), 1, shape_numel(shape), bits))
            ctx.fail("mask holds " + std::to_string(packed.numel()) + " bytes, too few for shape " + shape_to_string(shape));
        densify_into_output(ctx, bits.data(), shape, nonzero.get(ctx));
    });
}

std::unique_ptr<Kernel> make_sparse_to_dense_ios18(const BuildContext& b) {
    ParamTensor nonzero(b, "nonzero_data"), mask(b, "mask");
    return make_kernel([nonzero, mask](RunContext& ctx) {
        const Tensor& m = mask.get(ctx);
        if (dtype_size(m.dtype()) != 1) ctx.fail("mask must hold one value per element");
        densify_into_output(ctx, static_cast<const uint8_t*>(m.raw()), m.shape(), nonzero.get(ctx));
    });
}

std::unique_ptr<Kernel> make_sparse_blockwise_shift_scale(const BuildContext& b) {
    ParamTensor mask(b, "data_mask"), nonzero(b, "nonzero_data"), scale(b, "scale"), offset(b, "offset");
    return make_kernel([mask, nonzero, scale, offset](RunContext& ctx) {
        const Tensor& m = mask.get(ctx);
        const Tensor& nz = nonzero.get(ctx);
        const Tensor& s = scale.get(ctx);
        if (dtype_size(m.dtype()) != 1) ctx.fail("data_mask must hold one value per element");
        if (!divides(m.shape(), s.shape()))
            ctx.fail("scale of shape " + shape_to_string(s.shape()) + " must have data_mask's rank and divide its shape " +
                     shape_to_string(m.shape()));
        Tensor off;
        if (offset.present()) {
            off = offset.get(ctx);
            if (off.shape() != s.shape()) ctx.fail("offset must have the same shape as scale");
        }
        const uint8_t* present = static_cast<const uint8_t*>(m.raw());
        Tensor dense = ctx.scratch(nz.dtype(), m.shape());
        if (!densify(present, m.numel(), nz.raw(), nz.numel(), dtype_size(nz.dtype()), dense.raw()))
            ctx.fail("the number of set mask bits differs from the " + std::to_string(nz.numel()) + " values of nonzero_data");
        Tensor values = ctx.scratch(DType::Float32, m.shape());
        shift_scale(dense, s, offset.present() ? &off : nullptr, s.shape(), values.data<float>());
        Tensor& out_mask = ctx.allocate_output(0, m.shape());
        std::copy(present, present + m.numel(), static_cast<uint8_t*>(out_mask.raw()));
        F32Output y(ctx, 1, {nz.numel()});
        gather_present(present, m.numel(), values.raw(), sizeof(float), y.data());
        y.commit();
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("constexpr_sparse_to_dense", kIOS16, make_sparse_to_dense_ios16)
OCML_REGISTER_MIL_OP("constexpr_sparse_to_dense", kIOS18, make_sparse_to_dense_ios18)
OCML_REGISTER_MIL_OP("constexpr_sparse_blockwise_shift_scale", kIOS18, make_sparse_blockwise_shift_scale)

}  // namespace opencoreml::mil::compression
