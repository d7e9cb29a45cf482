// opencoreml tree ensembles: the post-evaluation transforms that turn summed tree scores
// into the values a model reports (TreeEnsemblePostEvaluationTransform).
#pragma once

#include <cstddef>
#include <string>

#include "TreeEnsemble.pb.h"

namespace opencoreml::models::trees {

using PostTransform = CoreML::Specification::TreeEnsemblePostEvaluationTransform;

// Throws Error(InvalidModel) starting with `origin` for a value the enum does not define.
PostTransform checked_post_transform(int value, const std::string& origin);

// Transforms the `n` scores of one row in place:
//   NoTransform                      unchanged
//   Regression_Logistic              each v -> 1 / (1 + e^-v)
//   Classification_SoftMax           e^v_i / sum_j e^v_j
//   Classification_SoftMaxWithZeroClassReference
//                                    e^v_i / (1 + sum_j e^v_j): softmax against an implicit
//                                    reference class scored 0 (with one score, the logistic)
void apply_post_transform(PostTransform transform, double* scores, size_t n);

}  // namespace opencoreml::models::trees
