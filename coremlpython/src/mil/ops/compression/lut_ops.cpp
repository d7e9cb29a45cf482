// opencoreml ML program ops: palettized weights — constexpr_lut_to_dense (iOS16: one palette of
// 2/4/16/64/256 entries, indices bit-packed in bytes, explicit output shape; iOS18: one index
// per element, per-group palettes and vector entries) and constexpr_lut_to_sparse (iOS18:
// palette lookup of a sparse tensor's present values, giving its mask and the looked-up values).
#include <cstring>
#include <vector>

#include "mil/op_api.hpp"
#include "mil/ops/common/param_tensor.hpp"
#include "mil/ops/compression/decompress.hpp"
#include "mil/ops/compression/packed_bits.hpp"

namespace opencoreml::mil::compression {
namespace {

// The output `index` allocated with its declared dtype, checked to hold elements of `elem_size`.
Tensor& allocate_like(RunContext& ctx, size_t index, const Shape& shape, DType source) {
    const DType declared = ctx.output_dtype(index);
    if (dtype_size(declared) != dtype_size(source))
        ctx.fail(std::string("output is declared ") + dtype_name(declared) + " but the values are " + dtype_name(source));
    return ctx.allocate_output(index, declared, shape);
}

const uint8_t* bytes_of(RunContext& ctx, const Tensor& t, const char* name) {
    if (t.dtype() != DType::UInt8 && t.dtype() != DType::Int8 && t.dtype() != DType::Bool)
        ctx.fail(std::string(name) + " must hold one byte per element, got " + dtype_name(t.dtype()));
    return static_cast<const uint8_t*>(t.raw());
}

std::unique_ptr<Kernel> make_lut_to_dense_ios16(const BuildContext& b) {
    ParamTensor indices(b, "indices"), lut(b, "lut");
    const std::vector<int64_t> dims = b.const_ints("shape");
    const Shape shape(dims.begin(), dims.end());
    return make_kernel([indices, lut, shape](RunContext& ctx) {
        const Tensor& table = lut.get(ctx);
        const Tensor& packed = indices.get(ctx);
        const int64_t palettes = table.numel();
        int nbits = 0;
        while ((int64_t{1} << nbits) < palettes) ++nbits;
        if (table.rank() != 1 || (int64_t{1} << nbits) != palettes || nbits < 1 || nbits > 8 || nbits == 3 || nbits == 5 || nbits == 7)
            ctx.fail("lut must be a vector of 2, 4, 16, 64 or 256 entries, got shape " + shape_to_string(table.shape()));
        const int64_t count = shape_numel(shape);
        std::vector<uint8_t> idx;
        if (!unpack_bits(bytes_of(ctx, packed, "indices"), packed.numel(), nbits, count, idx))
            ctx.fail("indices hold " + std::to_string(packed.numel()) + " bytes, too few for " + std::to_string(count) +
                     " elements of " + std::to_string(nbits) + " bits");
        Tensor& y = allocate_like(ctx, 0, shape, table.dtype());
        Shape lut_shape(shape.size(), 1);
        lut_shape.push_back(palettes);
        lut_shape.push_back(1);
        const Shape flat = shape.empty() ? Shape{1} : shape;
        if (shape.empty()) lut_shape = {1, palettes, 1};
        const std::string err = lut_decode(idx.data(), flat, table.raw(), lut_shape, 0, dtype_size(table.dtype()), y.raw());
        if (!err.empty()) ctx.fail(err);
    });
}

int64_t read_vector_axis(const BuildContext& b, int64_t rank) {
    if (!b.has_input("vector_axis")) return -1;
    int64_t axis = b.const_int("vector_axis");
    if (rank >= 0 && axis < 0) axis += rank;
    return axis;
}

std::unique_ptr<Kernel> make_lut_to_dense_ios18(const BuildContext& b) {
    ParamTensor indices(b, "indices"), lut(b, "lut");
    const int64_t raw_axis = b.has_input("vector_axis") ? b.const_int("vector_axis") : 0;
    return make_kernel([indices, lut, raw_axis](RunContext& ctx) {
        const Tensor& idx = indices.get(ctx);
        const Tensor& table = lut.get(ctx);
        const int64_t rank = idx.rank();
        const int64_t axis = raw_axis < 0 ? raw_axis + rank : raw_axis;
        const int64_t vs = table.rank() >= 2 ? table.dim(-1) : 1;
        if (vs > 1 && (axis < 0 || axis >= rank)) ctx.fail("vector_axis " + std::to_string(raw_axis) + " is outside indices of rank " + std::to_string(rank));
        if (table.rank() != rank + 2) ctx.fail("lut must have 2 more dimensions than indices, got lut " + shape_to_string(table.shape()) + " for indices " + shape_to_string(idx.shape()));
        Tensor& y = allocate_like(ctx, 0, lut_output_shape(idx.shape(), vs, axis), table.dtype());
        const std::string err = lut_decode(bytes_of(ctx, idx, "indices"), idx.shape(), table.raw(), table.shape(), axis,
                                           dtype_size(table.dtype()), y.raw());
        if (!err.empty()) ctx.fail(err);
    });
}

std::unique_ptr<Kernel> make_lut_to_sparse(const BuildContext& b) {
    ParamTensor mask(b, "indices_mask"), nonzero(b, "indices_nonzero_data"), lut(b, "lut");
    const int64_t raw_axis = b.has_input("vector_axis") ? b.const_int("vector_axis") : 0;
    return make_kernel([mask, nonzero, lut, raw_axis](RunContext& ctx) {
        const Tensor& m = mask.get(ctx);
        const Tensor& nz = nonzero.get(ctx);
        const Tensor& table = lut.get(ctx);
        const int64_t rank = m.rank();
        const int64_t axis = raw_axis < 0 ? raw_axis + rank : raw_axis;
        const int64_t vs = table.rank() >= 2 ? table.dim(-1) : 1;
        if (table.rank() != rank + 2) ctx.fail("lut must have 2 more dimensions than indices_mask");
        // Dense indices (absent elements use palette entry 0; they are dropped again below).
        Tensor dense_idx = ctx.scratch(DType::UInt8, m.shape());
        if (!densify(bytes_of(ctx, m, "indices_mask"), m.numel(), bytes_of(ctx, nz, "indices_nonzero_data"), nz.numel(), 1, dense_idx.raw()))
            ctx.fail("the number of set mask bits differs from the " + std::to_string(nz.numel()) + " values of indices_nonzero_data");
        const Shape out_shape = lut_output_shape(m.shape(), vs, axis);
        Tensor dense = ctx.scratch(table.dtype(), out_shape);
        std::string err = lut_decode(static_cast<const uint8_t*>(dense_idx.raw()), m.shape(), table.raw(), table.shape(), axis,
                                     dtype_size(table.dtype()), dense.raw());
        if (!err.empty()) ctx.fail(err);
        // The mask grows along the vector axis like the values: a lookup in the palette {0, 1...1}.
        Tensor& out_mask = ctx.allocate_output(0, out_shape);
        Shape bit_lut_shape(static_cast<size_t>(rank), 1);
        bit_lut_shape.push_back(2);
        bit_lut_shape.push_back(vs);
        std::vector<uint8_t> bit_lut(static_cast<size_t>(2 * vs), 0);
        for (int64_t v = 0; v < vs; ++v) bit_lut[static_cast<size_t>(vs + v)] = 1;
        std::vector<uint8_t> present(static_cast<size_t>(m.numel()));
        for (int64_t i = 0; i < m.numel(); ++i) present[i] = static_cast<const uint8_t*>(m.raw())[i] != 0;
        err = lut_decode(present.data(), m.shape(), bit_lut.data(), bit_lut_shape, axis, 1, out_mask.raw());
        if (!err.empty()) ctx.fail(err);
        Tensor& values = allocate_like(ctx, 1, {nz.numel() * vs}, table.dtype());
        gather_present(static_cast<const uint8_t*>(out_mask.raw()), out_mask.numel(), dense.raw(), dtype_size(table.dtype()), values.raw());
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("constexpr_lut_to_dense", kIOS16, make_lut_to_dense_ios16)
OCML_REGISTER_MIL_OP("constexpr_lut_to_dense", kIOS18, make_lut_to_dense_ios18)
OCML_REGISTER_MIL_OP("constexpr_lut_to_sparse", kIOS18, make_lut_to_sparse)

}  // namespace opencoreml::mil::compression
