// opencoreml transformers: the imputer model kind — a missing value replaced by the imputed
// value of its type. A value is missing when it equals the spec's replace value (NaN for
// doubles and arrays when none is given) or when an optional input is left out; arrays are
// imputed element by element, from one value or from a per-element vector.
#include <cmath>
#include <memory>

#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

using Case = spec::Imputer::ImputedValueCase;

template <typename Dictionary, typename ProtoMap>
Dictionary copy_map(const ProtoMap& map) {
    Dictionary out;
    for (const auto& entry : map) out.emplace(entry.first, entry.second);
    return out;
}

class Imputer final : public Predictor {
public:
    explicit Imputer(const LoadContext& ctx) : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "imputer")), params_(ctx.spec.imputer()) {
        const auto& input = sole_input(interface(), origin_);
        const auto& output = sole_output(interface(), origin_);
        input_name_ = input.name();
        output_name_ = output.name();
        if (input.type().Type_case() != output.type().Type_case())
            invalid_model(origin_, "the input '" + input_name_ + "' and the output '" + output_name_ + "' must have the same type");
        const auto type = input.type().Type_case();
        using FT = spec::FeatureType;
        using RV = spec::Imputer::ReplaceValueCase;
        switch (params_.ImputedValue_case()) {
            case Case::kImputedDoubleValue: expect(type == FT::kDoubleType || type == FT::kMultiArrayType, RV::kReplaceDoubleValue); break;
            case Case::kImputedInt64Value: expect(type == FT::kInt64Type, RV::kReplaceInt64Value); break;
            case Case::kImputedStringValue: expect(type == FT::kStringType, RV::kReplaceStringValue); break;
            case Case::kImputedDoubleArray: expect(type == FT::kMultiArrayType, RV::kReplaceDoubleValue); break;
            case Case::kImputedInt64Array: expect(type == FT::kMultiArrayType, RV::kReplaceInt64Value); break;
            case Case::kImputedStringDictionary:
            case Case::kImputedInt64Dictionary: expect(type == FT::kDictionaryType, RV::REPLACEVALUE_NOT_SET); break;
            default: invalid_model(origin_, "no imputed value is set");
        }
        array_ = type == FT::kMultiArrayType;
        if (array_) {
            dtype_ = declared_dtype(output);
            const auto& shape = output.type().multiarraytype().shape();
            declared_shape_.assign(shape.begin(), shape.end());
            if (params_.has_imputeddoublearray()) per_element_.assign(params_.imputeddoublearray().vector().begin(), params_.imputeddoublearray().vector().end());
            for (int64_t v : params_.imputedint64array().vector()) per_element_.push_back(static_cast<double>(v));
            if (!per_element_.empty() && !declared_shape_.empty() && shape_numel(declared_shape_) != static_cast<int64_t>(per_element_.size()))
                invalid_model(origin_, "the imputed array has " + std::to_string(per_element_.size()) + " values but the input '" +
                                           input_name_ + "' has " + std::to_string(shape_numel(declared_shape_)) + " elements");
        }
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        FeatureMap outputs;
        auto it = inputs.find(input_name_);
        const bool absent = it == inputs.end() || std::holds_alternative<std::monostate>(it->second);
        outputs[output_name_] = absent ? whole_imputed_value() : impute(it->second);
        return outputs;
    }

private:
    void expect(bool type_ok, spec::Imputer::ReplaceValueCase replace_kind) {
        if (!type_ok) invalid_model(origin_, "the type of input '" + input_name_ + "' does not match the kind of imputed value");
        if (params_.ReplaceValue_case() != spec::Imputer::REPLACEVALUE_NOT_SET && params_.ReplaceValue_case() != replace_kind)
            invalid_model(origin_, "the replace value's type does not match the imputed value's type");
    }

    // Whether a number stands for a missing value. Without a replace value only NaN does.
    bool missing(double x) const {
        switch (params_.ReplaceValue_case()) {
            case spec::Imputer::kReplaceDoubleValue:
                return std::isnan(params_.replacedoublevalue()) ? std::isnan(x) : x == params_.replacedoublevalue();
            case spec::Imputer::kReplaceInt64Value: return x == static_cast<double>(params_.replaceint64value());
            default: return std::isnan(x);
        }
    }

    double element_value(size_t i) const { return per_element_.empty() ? params_.imputeddoublevalue() : per_element_[i]; }

    FeatureValue whole_imputed_value() const {
        switch (params_.ImputedValue_case()) {
            case Case::kImputedInt64Value: return params_.imputedint64value();
            case Case::kImputedStringValue: return params_.imputedstringvalue();
            case Case::kImputedStringDictionary: return copy_map<StringDictionary>(params_.imputedstringdictionary().map());
            case Case::kImputedInt64Dictionary: return copy_map<Int64Dictionary>(params_.imputedint64dictionary().map());
            default: break;
        }
        if (!array_) return params_.imputeddoublevalue();
        if (declared_shape_.empty())
            invalid_input(origin_, "input '" + input_name_ + "' is missing and its shape is not declared, so it cannot be imputed");
        std::vector<double> values(static_cast<size_t>(shape_numel(declared_shape_)));
        for (size_t i = 0; i < values.size(); ++i) values[i] = element_value(i);
        return make_array(values, declared_shape_, dtype_);
    }

    FeatureValue impute(const FeatureValue& value) const {
        if (const auto* d = std::get_if<double>(&value)) return missing(*d) ? params_.imputeddoublevalue() : *d;
        if (const auto* i = std::get_if<int64_t>(&value)) {
            const bool replace = params_.has_replaceint64value() && *i == params_.replaceint64value();
            return replace ? params_.imputedint64value() : *i;
        }
        if (const auto* s = std::get_if<std::string>(&value)) {
            const bool replace = params_.has_replacestringvalue() && *s == params_.replacestringvalue();
            return replace ? params_.imputedstringvalue() : *s;
        }
        if (const auto* t = std::get_if<Tensor>(&value)) {
            std::vector<double> values = array_values(*t);
            if (!per_element_.empty() && values.size() != per_element_.size())
                invalid_input(origin_, "input '" + input_name_ + "' has " + std::to_string(values.size()) +
                                           " elements, the imputed array has " + std::to_string(per_element_.size()));
            for (size_t i = 0; i < values.size(); ++i)
                if (missing(values[i])) values[i] = element_value(i);
            return make_array(values, t->shape(), dtype_);
        }
        return value;  // dictionaries are only imputed when left out
    }

    std::string origin_;
    spec::Imputer params_;
    std::string input_name_;
    std::string output_name_;
    bool array_ = false;
    DType dtype_ = DType::Float64;
    Shape declared_shape_;
    std::vector<double> per_element_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<Imputer>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kImputer, "imputer", make)

}  // namespace opencoreml::models::transformers
