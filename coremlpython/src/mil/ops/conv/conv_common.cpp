// opencoreml ML program ops: shared conv helpers (see conv_common.hpp).
#include "mil/ops/conv/conv_common.hpp"

#include <algorithm>

namespace opencoreml::mil {

void require_float_inputs(const BuildContext& ctx, std::initializer_list<const char*> params) {
    for (const char* param : params) {
        if (!ctx.has_input(param)) continue;
        const DType t = ctx.input(param).dtype;
        if (t != DType::Float16 && t != DType::Float32)
            ctx.fail(std::string(param) + " must be fp16 or fp32, got " + dtype_name(t));
    }
}

size_t conv_spatial_dims(const BuildContext& ctx) {
    const InputInfo& w = ctx.input("weight");
    const InputInfo& x = ctx.input("x");
    const int64_t rank = w.rank_known ? static_cast<int64_t>(w.shape.size()) : x.rank_known ? static_cast<int64_t>(x.shape.size()) : -1;
    if (rank < 3 || rank > 5)
        ctx.fail("weight must have rank 3 to 5 (1 to 3 spatial dims), got " +
                 (rank < 0 ? std::string("an unknown rank") : std::to_string(rank)));
    return static_cast<size_t>(rank - 2);
}

int64_t conv_groups(const BuildContext& ctx) {
    const int64_t groups = ctx.const_int("groups", 1);
    if (groups < 1) ctx.fail("groups must be >= 1, got " + std::to_string(groups));
    return groups;
}

void fill_channels(float* out, int64_t n, int64_t channels, int64_t plane, const float* bias) {
    for (int64_t i = 0; i < n * channels; ++i)
        std::fill(out + i * plane, out + (i + 1) * plane, bias ? bias[i % channels] : 0.0f);
}

void check_conv_input(const RunContext& ctx, const Shape& xs, size_t dims) {
    if (xs.size() != dims + 2)
        ctx.fail("x " + shape_to_string(xs) + " must have rank " + std::to_string(dims + 2) + " ([N, C, " +
                 std::to_string(dims) + " spatial dims]) to match the weight");
}

}  // namespace opencoreml::mil
