// opencoreml ML program ops: sliding-window geometry shared by conv, conv_transpose and the
// pools — the constant window parameters (strides, dilations, pad_type, pad, ceil_mode) read
// once at load, and per run the padding and output sizes for the actual input sizes.
// Geometry is normalised to three spatial dims (1-D and 2-D ops get leading dims of size 1),
// so every loop nest is written once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

enum class PadType { Valid, Same, SameLower, Custom };

struct WindowSpec {
    size_t dims = 0;  // spatial dims, 1 to 3
    std::vector<int64_t> strides, dilations;
    PadType pad_type = PadType::Valid;
    std::vector<int64_t> pad;  // before/after per spatial dim (custom)
    bool ceil_mode = false;

    // Reads strides, dilations (when `dilations`), pad_type, pad and ceil_mode (when `ceil`).
    static WindowSpec read(const BuildContext& ctx, size_t dims, bool dilations, bool ceil);
};

struct Window3 {
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
    int64_t s[3] = {1, 1, 1}, d[3] = {1, 1, 1};
    // Input index of output o along dim i is o * s - before + tap * d (forward windows); for
    // conv_transpose output index of input i is i * s - before + tap * d.
    int64_t before[3] = {0, 0, 0};
    int64_t after[3] = {0, 0, 0};  // padding after the input (pools count it in averages)

    int64_t in_size() const { return in[0] * in[1] * in[2]; }
    int64_t out_size() const { return out[0] * out[1] * out[2]; }
    int64_t taps() const { return k[0] * k[1] * k[2]; }
};

// Forward windows (conv, pools): `in` and `kernel` hold spec.dims spatial sizes.
Window3 forward_window(const RunContext& ctx, const WindowSpec& spec, const int64_t* in, const int64_t* kernel);

// conv_transpose: output sizes from output_shape's spatial dims when given (empty otherwise).
Window3 transpose_window(const RunContext& ctx, const WindowSpec& spec, const int64_t* in, const int64_t* kernel,
                         const std::vector<int64_t>& output_spatial);

// Outputs t in [lo, hi) of [0, count) whose position t * stride + offset lies in [0, limit).
inline void valid_range(int64_t count, int64_t limit, int64_t stride, int64_t offset, int64_t& lo, int64_t& hi) {
    // Smallest t with t * stride + offset >= 0, and one past the largest with < limit.
    lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    hi = limit - 1 - offset < 0 ? 0 : (limit - 1 - offset) / stride + 1;
    if (hi > count) hi = count;
    if (lo > hi) lo = hi;
}

}  // namespace opencoreml::mil
