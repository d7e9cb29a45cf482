// opencoreml models: length-checked numeric input rows for the classic model kinds.
#include "models/common/sized_input_row.hpp"

#include "Model.pb.h"
#include "models/common/classic_io.hpp"

namespace opencoreml::models {

namespace {

std::string input_names(const ModelInterface& interface) {
    std::string names;
    for (const auto& d : interface.inputs()) names += (names.empty() ? "'" : ", '") + d.name() + "'";
    return (interface.inputs().size() == 1 ? "input feature " : "input features ") + names;
}

}  // namespace

std::vector<double> sized_input_row(const ModelInterface& interface, const FeatureMap& inputs, size_t expected,
                                    RowLength rule, const std::string& origin) {
    std::vector<double> row = gather_numeric_row(interface, inputs);
    const bool ok = rule == RowLength::Exactly ? row.size() == expected : row.size() >= expected;
    if (!ok)
        throw Error(ErrorCode::InvalidArgument,
                    origin + ": " + input_names(interface) + " must give " +
                        (rule == RowLength::AtLeast ? "at least " : "") + std::to_string(expected) +
                        " numeric values in total, got " + std::to_string(row.size()));
    return row;
}

}  // namespace opencoreml::models
