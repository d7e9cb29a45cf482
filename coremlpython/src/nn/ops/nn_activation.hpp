// opencoreml neural networks: the scalar NN activations (ActivationParams with an alpha and a
// beta) for the NN recurrent kernels (nn_lstm, nn_gru, nn_rnn), which take them as op inputs
// "activations" (int32 codes, below; the translation in layers/recurrent.cpp writes the same
// codes) and "activation_params" (float32 [n, 2]: alpha, beta).
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
    kActElu, kActSoftsign, kActSoftplus, kActCount
};

struct NnAct {
    int kind = kActSigmoid;
    float alpha = 0, beta = 0;

    void apply(float* v, int64_t n) const {
        for (int64_t j = 0; j < n; ++j) {
            const float x = v[j];
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
                default: break;
            }
            v[j] = y;
        }
    }
};

// The `count` activations of an op (inputs "activations" and "activation_params").
inline std::vector<NnAct> read_activations(const mil::BuildContext& b, size_t count) {
    const std::vector<int64_t> kinds = b.const_ints("activations");
    const std::vector<float> params = b.const_floats("activation_params");
    if (kinds.size() != count || params.size() != 2 * count)
        b.fail("needs " + std::to_string(count) + " activations and as many (alpha, beta) pairs");
    std::vector<NnAct> acts(count);
    for (size_t i = 0; i < count; ++i) {
        if (kinds[i] < 0 || kinds[i] >= kActCount) b.fail("unknown activation code " + std::to_string(kinds[i]));
        acts[i] = NnAct{static_cast<int>(kinds[i]), params[2 * i], params[2 * i + 1]};
    }
    return acts;
}

}  // namespace opencoreml::nn
