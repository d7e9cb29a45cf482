// opencoreml neural networks: the NN activations (ActivationParams) for the NN recurrent
// kernels (nn_lstm, nn_gru, nn_rnn), which take them as op inputs "activations" (int32 codes,
// below; the translation in layers/recurrent.cpp writes the same codes) and
// "activation_params" (float32 [n, 2, H]: alpha and beta per hidden unit, so PReLU and
// parametric softplus may have one per unit; the others repeat their scalars).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "mil/op_api.hpp"

namespace opencoreml::nn {

enum NnActivation : int {
    kActLinear = 0, kActRelu, kActLeakyRelu, kActThresholdedRelu, kActTanh, kActScaledTanh, kActSigmoid, kActSigmoidHard,
    kActElu, kActSoftsign, kActSoftplus, kActPrelu, kActParametricSoftplus, kActCount
};

struct NnAct {
    int kind = kActSigmoid;
    std::vector<float> alphas, betas;  // per hidden unit

    // v[j] = f(v[j]) for the H hidden units of one gate.
    void apply(float* v) const {
        const int64_t n = static_cast<int64_t>(alphas.size());
        for (int64_t j = 0; j < n; ++j) {
            const float x = v[j], alpha = alphas[static_cast<size_t>(j)], beta = betas[static_cast<size_t>(j)];
            float y = x;
            switch (kind) {
                case kActLinear: y = alpha * x + beta; break;
                case kActRelu: y = std::max(x, 0.0f); break;
                case kActLeakyRelu: y = x >= 0 ? x : alpha * x; break;
                case kActThresholdedRelu: y = x >= alpha ? x : 0.0f; break;
                case kActTanh: y = std::tanh(x); break;
                case kActScaledTanh: y = alpha * std::tanh(beta * x); break;
                case kActSigmoid: y = 1.0f / (1.0f + std::exp(-x)); break;
                case kActSigmoidHard: y = std::min(1.0f, std::max(0.0f, alpha * x + beta)); break;
                case kActElu: y = x >= 0 ? x : alpha * (std::exp(x) - 1.0f); break;
                case kActSoftsign: y = x / (1.0f + std::fabs(x)); break;
                case kActSoftplus: y = x > 20.0f ? x : std::log1p(std::exp(x)); break;
                case kActPrelu: y = x >= 0 ? x : alpha * x; break;
                case kActParametricSoftplus: {
                    const float bx = beta * x;
                    y = alpha * (bx > 20.0f ? bx : std::log1p(std::exp(bx)));
                    break;
                }
                default: break;
            }
            v[j] = y;
        }
    }
};

// The `count` activations of an op (inputs "activations" and "activation_params") for
// `hidden` units.
inline std::vector<NnAct> read_activations(const mil::BuildContext& b, size_t count, int64_t hidden) {
    const std::vector<int64_t> kinds = b.const_ints("activations");
    const std::vector<float> params = b.const_floats("activation_params");
    const size_t h = static_cast<size_t>(hidden);
    if (kinds.size() != count || params.size() != 2 * count * h)
        b.fail("needs " + std::to_string(count) + " activations and [" + std::to_string(count) + ", 2, " + std::to_string(hidden) +
               "] activation parameters");
    std::vector<NnAct> acts(count);
    for (size_t i = 0; i < count; ++i) {
        if (kinds[i] < 0 || kinds[i] >= kActCount) b.fail("unknown activation code " + std::to_string(kinds[i]));
        acts[i].kind = static_cast<int>(kinds[i]);
        acts[i].alphas.assign(params.begin() + static_cast<std::ptrdiff_t>(2 * i * h),
                              params.begin() + static_cast<std::ptrdiff_t>((2 * i + 1) * h));
        acts[i].betas.assign(params.begin() + static_cast<std::ptrdiff_t>((2 * i + 1) * h),
                             params.begin() + static_cast<std::ptrdiff_t>((2 * i + 2) * h));
    }
    return acts;
}

}  // namespace opencoreml::nn
