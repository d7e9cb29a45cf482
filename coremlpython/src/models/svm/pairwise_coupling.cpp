// opencoreml SVMs: Platt scaling and pairwise coupling of one-vs-one probabilities.
#include "models/svm/pairwise_coupling.hpp"

#include <algorithm>
#include <cmath>

namespace opencoreml::models::svm {

double platt_probability(double decision, double a, double b) {
    constexpr double kMinProbability = 1e-7;
    const double t = decision * a + b;
    // Both forms equal 1 / (1 + e^t); each avoids overflow on its side.
    const double p = t >= 0 ? std::exp(-t) / (1.0 + std::exp(-t)) : 1.0 / (1.0 + std::exp(t));
    return std::min(std::max(p, kMinProbability), 1.0 - kMinProbability);
}

std::vector<double> couple_pairwise(const std::vector<double>& r, size_t k) {
    if (k == 1) return {1.0};
    if (k == 2) return {r[0 * 2 + 1], r[1 * 2 + 0]};

    // Minimise p'Qp subject to sum(p) = 1, where Q[t][t] = sum_{j != t} r[j][t]^2 and
    // Q[t][j] = -r[j][t] * r[t][j]; the optimum has (Qp)[t] equal for every t.
    std::vector<double> q(k * k, 0.0);
    for (size_t t = 0; t < k; ++t)
        for (size_t j = 0; j < k; ++j) {
            if (j == t) continue;
            q[t * k + t] += r[j * k + t] * r[j * k + t];
            q[t * k + j] = -r[j * k + t] * r[t * k + j];
        }

    std::vector<double> p(k, 1.0 / static_cast<double>(k));
    std::vector<double> qp(k);
    const size_t max_sweeps = std::max<size_t>(100, k);
    const double tolerance = 0.005 / static_cast<double>(k);
    for (size_t sweep = 0; sweep < max_sweeps; ++sweep) {
        double pqp = 0.0;
        for (size_t t = 0; t < k; ++t) {
            double acc = 0.0;
            for (size_t j = 0; j < k; ++j) acc += q[t * k + j] * p[j];
            qp[t] = acc;
            pqp += p[t] * acc;
        }
        double worst = 0.0;
        for (size_t t = 0; t < k; ++t) worst = std::max(worst, std::fabs(qp[t] - pqp));
        if (worst < tolerance) break;
        // Gauss-Seidel: move one coordinate to equalise (Qp)[t] with p'Qp, renormalise, and
        // update Qp and p'Qp in place rather than recomputing them.
        for (size_t t = 0; t < k; ++t) {
            const double qtt = q[t * k + t];
            const double step = (pqp - qp[t]) / qtt;
            p[t] += step;
            const double scale = 1.0 + step;
            pqp = (pqp + step * (step * qtt + 2.0 * qp[t])) / scale / scale;
            for (size_t j = 0; j < k; ++j) {
                qp[j] = (qp[j] + step * q[t * k + j]) / scale;
                p[j] /= scale;
            }
        }
    }
    return p;
}

}  // namespace opencoreml::models::svm
