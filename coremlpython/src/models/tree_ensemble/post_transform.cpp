// opencoreml tree ensembles: post-evaluation transforms (see post_transform.hpp).
#include "models/tree_ensemble/post_transform.hpp"

#include <algorithm>
#include <cmath>

#include "opencoreml/error.hpp"

namespace opencoreml::models::trees {

namespace spec = CoreML::Specification;

PostTransform checked_post_transform(int value, const std::string& origin) {
    if (!spec::TreeEnsemblePostEvaluationTransform_IsValid(value))
        throw Error(ErrorCode::InvalidModel, origin + ": tree ensemble: unknown postEvaluationTransform " + std::to_string(value));
    return static_cast<PostTransform>(value);
}

namespace {

// Softmax of `scores` together with `reference` extra classes scored 0; subtracting the
// largest score first keeps every exponent <= 0.
void softmax(double* scores, size_t n, int reference) {
    double top = reference ? 0.0 : -HUGE_VAL;
    for (size_t i = 0; i < n; ++i) top = std::max(top, scores[i]);
    double sum = reference * std::exp(-top);
    for (size_t i = 0; i < n; ++i) {
        scores[i] = std::exp(scores[i] - top);
        sum += scores[i];
    }
    for (size_t i = 0; i < n; ++i) scores[i] /= sum;
}

}  // namespace

void apply_post_transform(PostTransform transform, double* scores, size_t n) {
    switch (transform) {
        case spec::Regression_Logistic:
            for (size_t i = 0; i < n; ++i) scores[i] = 1.0 / (1.0 + std::exp(-scores[i]));
            break;
        case spec::Classification_SoftMax:
            softmax(scores, n, 0);
            break;
        case spec::Classification_SoftMaxWithZeroClassReference:
            softmax(scores, n, 1);
            break;
        default:
            break;
    }
}

}  // namespace opencoreml::models::trees
