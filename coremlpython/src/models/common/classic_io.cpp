// opencoreml models: numeric input rows, class labels and classifier outputs for the
// classic model kinds.
#include "models/common/classic_io.hpp"

#include <algorithm>

namespace opencoreml::models {

namespace spec = CoreML::Specification;

namespace {

void append_numeric(const std::string& name, const FeatureValue& v, std::vector<double>& row) {
    if (const auto* i = std::get_if<int64_t>(&v)) {
        row.push_back(static_cast<double>(*i));
    } else if (const auto* d = std::get_if<double>(&v)) {
        row.push_back(*d);
    } else if (const auto* t = std::get_if<Tensor>(&v)) {
        const Tensor as_double = t->to(DType::Float64);
        const double* p = as_double.data<double>();
        row.insert(row.end(), p, p + as_double.numel());
    } else {
        throw Error(ErrorCode::InvalidArgument, "input feature '" + name + "' must be numeric (an integer, a number or a multi-array), got " +
                                                    feature_value_kind(v));
    }
}

}  // namespace

std::vector<double> gather_numeric_row(const ModelInterface& interface, const FeatureMap& inputs) {
    std::vector<double> row;
    for (const auto& d : interface.inputs()) {
        auto it = inputs.find(d.name());
        if (it == inputs.end()) throw Error(ErrorCode::InvalidArgument, "input feature '" + d.name() + "' is missing");
        append_numeric(d.name(), it->second, row);
    }
    return row;
}

std::vector<double> numeric_feature(const FeatureMap& inputs, const std::string& name) {
    if (inputs.empty()) throw Error(ErrorCode::InvalidArgument, "the model received no input");
    auto it = name.empty() ? inputs.begin() : inputs.find(name);
    if (it == inputs.end()) throw Error(ErrorCode::InvalidArgument, "input feature '" + name + "' is missing");
    std::vector<double> row;
    append_numeric(it->first, it->second, row);
    return row;
}

ClassLabels labels_from(const spec::StringVector& strings, const spec::Int64Vector& ints) {
    if (strings.vector_size() > 0) return std::vector<std::string>(strings.vector().begin(), strings.vector().end());
    return std::vector<int64_t>(ints.vector().begin(), ints.vector().end());
}

size_t label_count(const ClassLabels& labels) {
    return std::visit([](const auto& v) { return v.size(); }, labels);
}

void write_classifier_outputs(const spec::ModelDescription& description, const ModelInterface& interface,
                              const ClassLabels& labels, const std::vector<double>& scores, FeatureMap& outputs) {
    const size_t n = label_count(labels);
    if (scores.size() != n)
        throw Error(ErrorCode::InvalidModel, "classifier produced " + std::to_string(scores.size()) + " scores for " +
                                                 std::to_string(n) + " class labels");
    std::string label_name = description.predictedfeaturename();
    if (label_name.empty()) {
        for (const auto& d : interface.outputs())
            if (d.type().has_stringtype() || d.type().has_int64type()) { label_name = d.name(); break; }
    }
    const size_t best = n ? static_cast<size_t>(std::max_element(scores.begin(), scores.end()) - scores.begin()) : 0;
    const std::string& probs_name = description.predictedprobabilitiesname();
    if (const auto* strings = std::get_if<std::vector<std::string>>(&labels)) {
        if (!label_name.empty() && n) outputs[label_name] = (*strings)[best];
        if (!probs_name.empty()) {
            StringDictionary probs;
            for (size_t i = 0; i < n; ++i) probs[(*strings)[i]] = scores[i];
            outputs[probs_name] = std::move(probs);
        }
    } else {
        const auto& ints = std::get<std::vector<int64_t>>(labels);
        if (!label_name.empty() && n) outputs[label_name] = ints[best];
        if (!probs_name.empty()) {
            Int64Dictionary probs;
            for (size_t i = 0; i < n; ++i) probs[ints[i]] = scores[i];
            outputs[probs_name] = std::move(probs);
        }
    }
}

}  // namespace opencoreml::models
