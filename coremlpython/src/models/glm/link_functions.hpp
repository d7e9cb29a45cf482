// opencoreml GLMs: the inverse link functions Core ML's GLMs apply to linear scores.
#pragma once

#include <cmath>

namespace opencoreml::models::glm {

// 1 / (1 + e^-x), written so neither branch overflows.
inline double logistic(double x) {
    if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
    const double e = std::exp(x);
    return e / (1.0 + e);
}

// log(logistic(x)) without underflow for very negative x.
inline double log_logistic(double x) {
    return std::fmin(x, 0.0) - std::log1p(std::exp(-std::fabs(x)));
}

// The standard normal CDF; erfc keeps precision in the lower tail.
inline double probit(double x) {
    return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

}  // namespace opencoreml::models::glm
