// opencoreml ML program ops: non_zero — the coordinates of x's nonzero elements in row-major
// order, as an int32 [count, rank] tensor (numpy's transpose(nonzero(x))).
#include "mil/ops/tensor/shape_helpers.hpp"

namespace opencoreml::mil {

namespace {

// Nonzero flags per element; fp16 compares its bits without the sign, so -0 is zero.
std::vector<char> nonzero_flags(const RunContext& ctx, const Tensor& x) {
    std::vector<char> flags(static_cast<size_t>(x.numel()));
    auto fill = [&](const auto* p) {
        for (size_t i = 0; i < flags.size(); ++i) flags[i] = p[i] != 0;
    };
    switch (x.dtype()) {
        case DType::Float32: fill(x.data<float>()); break;
        case DType::Float64: fill(x.data<double>()); break;
        case DType::Float16: case DType::BFloat16: {
            const uint16_t* p = static_cast<const uint16_t*>(x.raw());
            for (size_t i = 0; i < flags.size(); ++i) flags[i] = (p[i] & 0x7fff) != 0;
            break;
        }
        default:
            if (!is_index_dtype(x.dtype())) ctx.fail(std::string("unsupported dtype ") + dtype_name(x.dtype()));
            const std::vector<int64_t> v = int_values(x);
            for (size_t i = 0; i < flags.size(); ++i) flags[i] = v[i] != 0;
    }
    return flags;
}

std::unique_ptr<Kernel> make_non_zero(const BuildContext&) {
    return make_kernel([](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const std::vector<char> flags = nonzero_flags(ctx, x);
        int64_t count = 0;
        for (char f : flags) count += f;
        const int64_t rank = x.rank();
        Tensor& out = ctx.allocate_output(0, DType::Int32, {count, rank});
        int32_t* d = out.data<int32_t>();
        std::vector<int64_t> index(static_cast<size_t>(rank), 0);
        for (size_t p = 0; p < flags.size(); ++p) {
            if (flags[p])
                for (int64_t k = 0; k < rank; ++k) *d++ = static_cast<int32_t>(index[static_cast<size_t>(k)]);
            for (int64_t k = rank; k-- > 0;) {  // odometer over x's dims
                if (++index[static_cast<size_t>(k)] < x.shape()[static_cast<size_t>(k)]) break;
                index[static_cast<size_t>(k)] = 0;
            }
        }
    });
}

}  // namespace

OCML_REGISTER_MIL_OP("non_zero", kIOS15, make_non_zero)

}  // namespace opencoreml::mil
