// opencoreml GLMs: the affine part shared by GLM regressors and classifiers — one weight
// row and one offset per output, applied to a model's numeric input row.
#pragma once

#include <string>
#include <vector>

#include "Model.pb.h"

namespace opencoreml::models::glm {

class LinearScores {
public:
    // `Rows` is GLMRegressor's or GLMClassifier's repeated DoubleArray; checks at load that
    // every row has the same non-zero width and that there is one offset per row.
    template <typename Rows>
    LinearScores(const Rows& weights, const google::protobuf::RepeatedField<double>& offsets, std::string origin);

    size_t outputs() const { return offsets_.size(); }
    size_t width() const { return width_; }

    // scores[i] = weights[i] . row + offset[i]; `row` has width() values.
    std::vector<double> apply(const std::vector<double>& row) const;

private:
    void check_and_store(std::vector<std::vector<double>> rows, const std::vector<double>& offsets);

    std::string origin_;
    size_t width_ = 0;
    std::vector<double> weights_;  // row-major (outputs x width): each dot product reads contiguously
    std::vector<double> offsets_;
};

template <typename Rows>
LinearScores::LinearScores(const Rows& weights, const google::protobuf::RepeatedField<double>& offsets, std::string origin)
    : origin_(std::move(origin)) {
    std::vector<std::vector<double>> rows;
    for (const auto& w : weights) rows.emplace_back(w.value().begin(), w.value().end());
    check_and_store(std::move(rows), std::vector<double>(offsets.begin(), offsets.end()));
}

}  // namespace opencoreml::models::glm
