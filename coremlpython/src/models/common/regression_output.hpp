// opencoreml models: where a classic regressor (GLM, SVM) puts its predicted values — a
// double output for one value, or a multi-array output holding all of them.
#pragma once

#include <string>
#include <vector>

#include "Model.pb.h"
#include "opencoreml/feature_value.hpp"
#include "opencoreml/predictor.hpp"

namespace opencoreml::models {

class RegressionOutput {
public:
    // Picks the description's predictedFeatureName (else the first double or multi-array
    // output) and checks at load that it can hold `value_count` values.
    RegressionOutput(const CoreML::Specification::ModelDescription& description, const ModelInterface& interface,
                     size_t value_count, const std::string& origin);

    void write(const std::vector<double>& values, FeatureMap& outputs) const;

private:
    std::string name_;
    bool as_array_ = false;
    DType dtype_ = DType::Float64;
    Shape shape_;
};

}  // namespace opencoreml::models
