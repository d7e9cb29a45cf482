// opencoreml ML program ops: window parameters and sizes (see window.hpp). Padding and output
// sizes follow the MIL op definitions: "same" pads a total of
// max(0, (ceil(in / s) - 1) * s + dilated_kernel - in), extra on the end ("same_lower": on
// the start); ceil_mode rounds the output count up but drops a last window that would start
// beyond the input and its leading padding.
#include "mil/ops/conv/window.hpp"

#include <algorithm>

namespace opencoreml::mil {
namespace {

constexpr size_t kFirst = 3;  // a 1-D op uses dim 2 of Window3, a 2-D op dims 1 and 2

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

PadType parse_pad_type(const BuildContext& ctx, const std::string& name) {
    if (name == "valid") return PadType::Valid;
    if (name == "same") return PadType::Same;
    if (name == "same_lower") return PadType::SameLower;
    if (name == "custom") return PadType::Custom;
    ctx.fail("unknown pad_type '" + name + "' (valid, same, same_lower or custom)");
}

std::vector<int64_t> per_dim(const BuildContext& ctx, const char* param, size_t dims, int64_t fallback, int64_t min) {
    std::vector<int64_t> v = ctx.const_ints(param, std::vector<int64_t>(dims, fallback));
    if (v.size() != dims)
        ctx.fail(std::string(param) + " has " + std::to_string(v.size()) + " values for " + std::to_string(dims) +
                 " spatial dims");
    for (int64_t x : v)
        if (x < min) ctx.fail(std::string(param) + " values must be >= " + std::to_string(min));
    return v;
}

// Total "same" padding of one dim.
int64_t same_total(int64_t in, int64_t s, int64_t dilated) {
    return std::max<int64_t>(0, ((in + s - 1) / s - 1) * s + dilated - in);
}

void split_total(PadType type, int64_t total, int64_t& before, int64_t& after) {
    before = type == PadType::SameLower ? total - total / 2 : total / 2;
    after = total - before;
}

Window3 base_window(const WindowSpec& spec, const int64_t* in, const int64_t* kernel) {
    Window3 w;
    const size_t first = kFirst - spec.dims;
    for (size_t i = 0; i < spec.dims; ++i) {
        w.in[first + i] = in[i];
        w.k[first + i] = kernel[i];
        w.s[first + i] = spec.strides[i];
        w.d[first + i] = spec.dilations.empty() ? 1 : spec.dilations[i];
    }
    return w;
}

}  // namespace

WindowSpec WindowSpec::read(const BuildContext& ctx, size_t dims, bool dilations, bool ceil) {
    if (dims < 1 || dims > 3) ctx.fail("supports 1 to 3 spatial dims, got " + std::to_string(dims));
    WindowSpec spec;
    spec.dims = dims;
    spec.strides = per_dim(ctx, "strides", dims, 1, 1);
    if (dilations) spec.dilations = per_dim(ctx, "dilations", dims, 1, 1);
    spec.pad_type = parse_pad_type(ctx, ctx.const_string("pad_type", "valid"));
    if (spec.pad_type == PadType::Custom) {
        spec.pad = ctx.const_ints("pad", std::vector<int64_t>(2 * dims, 0));
        if (spec.pad.size() != 2 * dims)
            ctx.fail("pad has " + std::to_string(spec.pad.size()) + " values, expected " + std::to_string(2 * dims));
        for (int64_t p : spec.pad)
            if (p < 0) ctx.fail("pad values must be >= 0");
    }
    spec.ceil_mode = ceil && ctx.const_bool("ceil_mode", false);
    if (spec.ceil_mode && spec.pad_type == PadType::Same) ctx.fail("ceil_mode must be False when pad_type is same");
    return spec;
}

Window3 forward_window(const RunContext& ctx, const WindowSpec& spec, const int64_t* in, const int64_t* kernel) {
    Window3 w = base_window(spec, in, kernel);
    for (size_t i = 0; i < spec.dims; ++i) {
        const size_t a = kFirst - spec.dims + i;
        const int64_t dilated = (w.k[a] - 1) * w.d[a] + 1;
        if (w.k[a] < 1) ctx.fail("kernel size " + std::to_string(w.k[a]) + " must be >= 1");
        if (spec.pad_type == PadType::Custom) {
            w.before[a] = spec.pad[2 * i], w.after[a] = spec.pad[2 * i + 1];
        } else if (spec.pad_type != PadType::Valid) {
            split_total(spec.pad_type, same_total(w.in[a], w.s[a], dilated), w.before[a], w.after[a]);
        }
        const int64_t padded = w.in[a] + w.before[a] + w.after[a];
        if (w.in[a] == 0) {
            w.out[a] = 0;  // an empty input gives an empty output
            continue;
        }
        if (spec.ceil_mode) {
            w.out[a] = floor_div(padded - dilated + w.s[a] - 1, w.s[a]) + 1;
            if (w.out[a] > 0 && (w.out[a] - 1) * w.s[a] >= w.in[a] + w.before[a] && w.before[a] + w.after[a] > 0) --w.out[a];
        } else {
            w.out[a] = floor_div(padded - dilated, w.s[a]) + 1;
        }
        if (w.out[a] < 1)
            ctx.fail("the window (" + std::to_string(dilated) + " after dilation) is larger than the padded input (" +
                     std::to_string(padded) + ") along spatial dim " + std::to_string(i));
    }
    return w;
}

Window3 transpose_window(const RunContext& ctx, const WindowSpec& spec, const int64_t* in, const int64_t* kernel,
                         const std::vector<int64_t>& output_spatial) {
    Window3 w = base_window(spec, in, kernel);
    for (size_t i = 0; i < spec.dims; ++i) {
        const size_t a = kFirst - spec.dims + i;
        const int64_t dilated = (w.k[a] - 1) * w.d[a] + 1;
        // The full (uncropped) result has (in - 1) * s + dilated positions; padding crops it.
        const int64_t full = w.in[a] == 0 ? 0 : (w.in[a] - 1) * w.s[a] + dilated;
        int64_t crop_before = 0, out = full;
        switch (spec.pad_type) {
            case PadType::Custom:
                crop_before = spec.pad[2 * i];
                out = full - spec.pad[2 * i] - spec.pad[2 * i + 1];
                break;
            case PadType::Same:
            case PadType::SameLower: {
                out = w.in[a] * w.s[a];
                int64_t after = 0;
                split_total(spec.pad_type, std::max<int64_t>(0, full - out), crop_before, after);
                break;
            }
            case PadType::Valid:
                break;
        }
        if (!output_spatial.empty()) {
            // An explicit output size: the crop at the start stays, positions beyond the full
            // result get only the bias (as when TF or torch ask for a larger output).
            out = output_spatial[i];
            if (spec.pad_type == PadType::Same || spec.pad_type == PadType::SameLower) {
                int64_t after = 0;
                split_total(spec.pad_type, std::max<int64_t>(0, full - out), crop_before, after);
            }
        }
        if (out < 0 || (out == 0 && w.in[a] > 0))
            ctx.fail("output size " + std::to_string(out) + " along spatial dim " + std::to_string(i) + " is not positive");
        w.out[a] = out;
        w.before[a] = crop_before;
    }
    return w;
}

}  // namespace opencoreml::mil
