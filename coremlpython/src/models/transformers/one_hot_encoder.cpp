// opencoreml transformers: the oneHotEncoder model kind — a string or int64 category turned
// into a one-of-N array, or (outputSparse) a one-entry dictionary {position: 1.0}; unknown
// categories give all zeros (IgnoreUnknown) or an error naming the value (ErrorOnUnknown).
#include <memory>

#include "models/transformers/category_index.hpp"
#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

class OneHotEncoder final : public Predictor {
public:
    explicit OneHotEncoder(const LoadContext& ctx) : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "oneHotEncoder")) {
        const auto& params = ctx.spec.onehotencoder();
        switch (params.CategoryType_case()) {
            case spec::OneHotEncoder::kStringCategories: categories_ = CategoryIndex(params.stringcategories()); break;
            case spec::OneHotEncoder::kInt64Categories: categories_ = CategoryIndex(params.int64categories()); break;
            default: invalid_model(origin_, "no categories are set (stringCategories or int64Categories)");
        }
        const auto& input = sole_input(interface(), origin_);
        const auto& output = sole_output(interface(), origin_);
        input_name_ = input.name();
        output_name_ = output.name();
        const bool string_input = input.type().has_stringtype();
        if (!string_input && !input.type().has_int64type())
            invalid_model(origin_, "the input '" + input_name_ + "' must be a string or an int64");
        if (string_input != categories_.string_keys())
            invalid_model(origin_, std::string("the input '") + input_name_ + "' is " + (string_input ? "a string" : "an int64") +
                                       " but the categories are " + (categories_.string_keys() ? "strings" : "int64s"));
        sparse_ = params.outputsparse();
        if (sparse_ ? !output.type().has_dictionarytype() : !output.type().has_multiarraytype())
            invalid_model(origin_, "the output '" + output_name_ + "' must be " +
                                       (sparse_ ? "a dictionary (outputSparse is set)" : "a multi-array (outputSparse is not set)"));
        ignore_unknown_ = params.handleunknown() == spec::OneHotEncoder::IgnoreUnknown;
        if (!sparse_) {
            dtype_ = declared_dtype(output);
            shape_ = output_shape(output, categories_.size());
        }
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const FeatureValue& value = input_value(inputs, input_name_, origin_);
        std::optional<int64_t> position;
        if (const auto* s = std::get_if<std::string>(&value)) {
            position = lookup(*s);
        } else if (const auto* i = std::get_if<int64_t>(&value)) {
            position = lookup(*i);
        } else {
            invalid_input(origin_, "input '" + input_name_ + "' must be a " + (categories_.string_keys() ? "string" : "int64") +
                                       ", got " + feature_value_kind(value));
        }
        FeatureMap outputs;
        if (sparse_) {
            Int64Dictionary one;
            if (position) one[*position] = 1.0;
            outputs[output_name_] = std::move(one);
        } else {
            std::vector<double> dense(static_cast<size_t>(categories_.size()), 0.0);
            if (position) dense[static_cast<size_t>(*position)] = 1.0;
            outputs[output_name_] = make_array(dense, shape_, dtype_);
        }
        return outputs;
    }

private:
    template <typename Key>
    std::optional<int64_t> lookup(const Key& key) const {
        std::optional<int64_t> position = categories_.find(key);
        if (!position && !ignore_unknown_)
            invalid_input(origin_, "input '" + input_name_ + "' is " + quoted(key) + ", which is not one of the encoder's " +
                                       std::to_string(categories_.size()) +
                                       " categories (handleUnknown is ErrorOnUnknown)");
        return position;
    }

    std::string origin_;
    std::string input_name_;
    std::string output_name_;
    CategoryIndex categories_;
    bool sparse_ = false;
    bool ignore_unknown_ = false;
    DType dtype_ = DType::Float64;
    Shape shape_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<OneHotEncoder>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kOneHotEncoder, "oneHotEncoder", make)

}  // namespace opencoreml::models::transformers
