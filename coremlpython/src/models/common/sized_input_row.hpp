// opencoreml models: a classic model's numeric input row checked against the number of
// values its parameters were built for, so a wrong-sized input fails naming its features.
#pragma once

#include <string>
#include <vector>

#include "opencoreml/feature_value.hpp"
#include "opencoreml/predictor.hpp"

namespace opencoreml::models {

enum class RowLength { Exactly, AtLeast };

// gather_numeric_row, then Error(InvalidArgument) unless the row has `expected` values
// (or at least that many).
std::vector<double> sized_input_row(const ModelInterface& interface, const FeatureMap& inputs, size_t expected,
                                    RowLength rule, const std::string& origin);

}  // namespace opencoreml::models
