// opencoreml models: input gathering and classifier outputs shared by the classic model
// kinds (trees, GLMs, SVMs, k-NN, feature transformers).
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "Model.pb.h"
#include "opencoreml/feature_value.hpp"
#include "opencoreml/predictor.hpp"

namespace opencoreml::models {

// The numeric inputs of a model flattened into one row of doubles, in declaration order:
// int64/double features give one value each, multi-arrays all their elements (any dtype).
// Throws Error(InvalidArgument) naming a feature that is not numeric.
std::vector<double> gather_numeric_row(const ModelInterface& interface, const FeatureMap& inputs);

// A single multi-array or numeric input as doubles; `name` picks the feature (first input
// when empty).
std::vector<double> numeric_feature(const FeatureMap& inputs, const std::string& name);

// Class labels of a classifier: strings or int64s.
using ClassLabels = std::variant<std::vector<std::string>, std::vector<int64_t>>;
ClassLabels labels_from(const CoreML::Specification::StringVector& strings,
                        const CoreML::Specification::Int64Vector& ints);
size_t label_count(const ClassLabels& labels);

// Writes Core ML's classifier outputs: the predicted label under the description's
// predictedFeatureName (or the first output of string/int64 type) and, when declared, the
// probability dictionary under predictedProbabilitiesName (label -> probability). The label
// is the arg-max of `scores` (first index wins ties).
void write_classifier_outputs(const CoreML::Specification::ModelDescription& description,
                              const ModelInterface& interface, const ClassLabels& labels,
                              const std::vector<double>& scores, FeatureMap& outputs);

}  // namespace opencoreml::models
