// opencoreml SVMs: storing support vectors compactly and evaluating kernel rows.
#include "models/svm/support_vectors.hpp"

#include <algorithm>
#include <utility>

#include "opencoreml/error.hpp"

namespace opencoreml::models::svm {

namespace spec = CoreML::Specification;

SupportVectors::SupportVectors(const spec::DenseSupportVectors& dense, const std::string& origin) {
    count_ = static_cast<size_t>(dense.vectors_size());
    width_ = count_ ? static_cast<size_t>(dense.vectors(0).values_size()) : 0;
    dense_.reserve(count_ * width_);
    for (size_t i = 0; i < count_; ++i) {
        const auto& v = dense.vectors(static_cast<int>(i)).values();
        if (static_cast<size_t>(v.size()) != width_)
            throw Error(ErrorCode::InvalidModel, origin + ": dense support vector " + std::to_string(i) + " has " +
                                                     std::to_string(v.size()) + " values, vector 0 has " +
                                                     std::to_string(width_));
        dense_.insert(dense_.end(), v.begin(), v.end());
    }
}

SupportVectors::SupportVectors(const spec::SparseSupportVectors& sparse, const std::string& origin) : sparse_(true) {
    count_ = static_cast<size_t>(sparse.vectors_size());
    starts_.push_back(0);
    std::vector<std::pair<size_t, double>> nodes;
    for (size_t i = 0; i < count_; ++i) {
        nodes.clear();
        for (const auto& node : sparse.vectors(static_cast<int>(i)).nodes()) {
            if (node.index() < 1)
                throw Error(ErrorCode::InvalidModel, origin + ": sparse support vector " + std::to_string(i) +
                                                         " has index " + std::to_string(node.index()) +
                                                         " (indexes start at 1)");
            nodes.emplace_back(static_cast<size_t>(node.index() - 1), node.value());
        }
        std::sort(nodes.begin(), nodes.end());
        for (size_t n = 0; n < nodes.size(); ++n) {
            // The RBF distance below assumes each input value appears at most once per vector.
            if (n > 0 && nodes[n].first == nodes[n - 1].first)
                throw Error(ErrorCode::InvalidModel, origin + ": sparse support vector " + std::to_string(i) +
                                                         " repeats index " + std::to_string(nodes[n].first + 1));
            indexes_.push_back(nodes[n].first);
            values_.push_back(nodes[n].second);
            width_ = std::max(width_, nodes[n].first + 1);
        }
        starts_.push_back(indexes_.size());
    }
}

void SupportVectors::kernel_row(const Kernel& kernel, const std::vector<double>& x, double* out) const {
    const double* xp = x.data();
    if (!sparse_) {
        const double* s = dense_.data();
        for (size_t i = 0; i < count_; ++i, s += width_) {
            double acc = 0.0;
            if (kernel.uses_distance()) {
                for (size_t j = 0; j < width_; ++j) {
                    const double d = xp[j] - s[j];
                    acc += d * d;
                }
                out[i] = kernel.of_squared_distance(acc);
            } else {
                for (size_t j = 0; j < width_; ++j) acc += xp[j] * s[j];
                out[i] = kernel.of_dot(acc);
            }
        }
        return;
    }
    double x_norm = 0.0;
    if (kernel.uses_distance())
        for (double v : x) x_norm += v * v;
    for (size_t i = 0; i < count_; ++i) {
        const size_t begin = starts_[i], end = starts_[i + 1];
        if (kernel.uses_distance()) {
            // ||x - s||^2 = (||x||^2 minus x's values at s's indexes) + sum over s's indexes of (x - s)^2
            double rest = x_norm, matched = 0.0;
            for (size_t n = begin; n < end; ++n) {
                const double xv = xp[indexes_[n]];
                const double d = xv - values_[n];
                rest -= xv * xv;
                matched += d * d;
            }
            out[i] = kernel.of_squared_distance(std::max(rest, 0.0) + matched);
        } else {
            double acc = 0.0;
            for (size_t n = begin; n < end; ++n) acc += xp[indexes_[n]] * values_[n];
            out[i] = kernel.of_dot(acc);
        }
    }
}

}  // namespace opencoreml::models::svm
