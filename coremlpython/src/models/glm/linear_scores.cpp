// opencoreml GLMs: validating and applying the weight rows and offsets of a GLM.
#include "models/glm/linear_scores.hpp"

#include "opencoreml/error.hpp"

namespace opencoreml::models::glm {

void LinearScores::check_and_store(std::vector<std::vector<double>> rows, const std::vector<double>& offsets) {
    if (rows.empty()) throw Error(ErrorCode::InvalidModel, origin_ + ": the GLM has no weights");
    if (rows.size() != offsets.size())
        throw Error(ErrorCode::InvalidModel, origin_ + ": the GLM has " + std::to_string(rows.size()) +
                                                 " weight rows but " + std::to_string(offsets.size()) + " offsets");
    width_ = rows.front().size();
    if (width_ == 0) throw Error(ErrorCode::InvalidModel, origin_ + ": the GLM's weight rows are empty");
    weights_.reserve(rows.size() * width_);
    for (size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].size() != width_)
            throw Error(ErrorCode::InvalidModel, origin_ + ": GLM weight row " + std::to_string(i) + " has " +
                                                     std::to_string(rows[i].size()) + " values, row 0 has " +
                                                     std::to_string(width_));
        weights_.insert(weights_.end(), rows[i].begin(), rows[i].end());
    }
    offsets_ = offsets;
}

std::vector<double> LinearScores::apply(const std::vector<double>& row) const {
    std::vector<double> scores(offsets_);
    const double* w = weights_.data();
    for (size_t i = 0; i < scores.size(); ++i, w += width_) {
        double sum = 0.0;
        for (size_t j = 0; j < width_; ++j) sum += w[j] * row[j];
        scores[i] += sum;
    }
    return scores;
}

}  // namespace opencoreml::models::glm
