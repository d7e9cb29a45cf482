// opencoreml ML program ops: parameters shared by the normalisation ops — optional const
// per-channel / per-position vectors (gamma, beta, mean, variance) read once at load as fp32,
// whatever their declared dtype (iOS17 lets them differ from x's).
#pragma once

#include <string>
#include <vector>

#include "mil/op_api.hpp"

namespace opencoreml::mil {

// The const values of `param` as fp32; empty when the op omits the optional parameter.
inline std::vector<float> optional_const_floats(const BuildContext& ctx, const std::string& param) {
    if (!ctx.has_input(param)) return {};
    return ctx.const_floats(param);
}

// gamma/beta (when given) must have `count` elements.
template <class Ctx>
void check_affine_size(const Ctx& ctx, const std::vector<float>& v, int64_t count, const char* name, const char* what) {
    if (!v.empty() && static_cast<int64_t>(v.size()) != count)
        ctx.fail(std::string(name) + " has " + std::to_string(v.size()) + " values but " + what + " has " + std::to_string(count));
}

}  // namespace opencoreml::mil
