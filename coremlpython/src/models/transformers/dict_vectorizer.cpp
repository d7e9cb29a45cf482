// opencoreml transformers: the dictVectorizer model kind — a string- or int64-keyed
// dictionary laid out by the vocabulary's order, as a dense array or (when the output is a
// dictionary) as the sparse {position: value} form. Keys outside the vocabulary are
// ignored, as scikit-learn's DictVectorizer ignores unseen features.
#include <memory>

#include "models/transformers/category_index.hpp"
#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

class DictVectorizer final : public Predictor {
public:
    explicit DictVectorizer(const LoadContext& ctx) : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "dictVectorizer")) {
        const auto& params = ctx.spec.dictvectorizer();
        switch (params.Map_case()) {
            case spec::DictVectorizer::kStringToIndex: vocabulary_ = CategoryIndex(params.stringtoindex()); break;
            case spec::DictVectorizer::kInt64ToIndex: vocabulary_ = CategoryIndex(params.int64toindex()); break;
            default: invalid_model(origin_, "no vocabulary is set (stringToIndex or int64ToIndex)");
        }
        const auto& input = sole_input(interface(), origin_);
        const auto& output = sole_output(interface(), origin_);
        input_name_ = input.name();
        output_name_ = output.name();
        if (!input.type().has_dictionarytype())
            invalid_model(origin_, "the input '" + input_name_ + "' must be a dictionary");
        if (input.type().dictionarytype().has_stringkeytype() != vocabulary_.string_keys())
            invalid_model(origin_, std::string("the input dictionary's keys must be ") + (vocabulary_.string_keys() ? "strings" : "int64s") +
                                       " like the vocabulary's");
        sparse_ = output.type().has_dictionarytype();
        if (!sparse_ && !output.type().has_multiarraytype())
            invalid_model(origin_, "the output '" + output_name_ + "' must be a multi-array or an int64-keyed dictionary");
        if (sparse_ && !output.type().dictionarytype().has_int64keytype())
            invalid_model(origin_, "the dictionary output '" + output_name_ + "' must have int64 keys (position -> value)");
        if (!sparse_) {
            dtype_ = declared_dtype(output);
            shape_ = output_shape(output, vocabulary_.size());
        }
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const FeatureValue& value = input_value(inputs, input_name_, origin_);
        Int64Dictionary positioned;
        if (const auto* strings = std::get_if<StringDictionary>(&value)) {
            gather(*strings, positioned);
        } else if (const auto* ints = std::get_if<Int64Dictionary>(&value)) {
            gather(*ints, positioned);
        } else {
            invalid_input(origin_, "input '" + input_name_ + "' must be a dictionary, got " + feature_value_kind(value));
        }
        FeatureMap outputs;
        if (sparse_) {
            outputs[output_name_] = std::move(positioned);
        } else {
            std::vector<double> dense(static_cast<size_t>(vocabulary_.size()), 0.0);
            for (const auto& [position, v] : positioned) dense[static_cast<size_t>(position)] = v;
            outputs[output_name_] = make_array(dense, shape_, dtype_);
        }
        return outputs;
    }

private:
    template <typename Dictionary>
    void gather(const Dictionary& dictionary, Int64Dictionary& positioned) const {
        for (const auto& [key, v] : dictionary)
            if (auto position = vocabulary_.find(key)) positioned[*position] = v;
    }

    std::string origin_;
    CategoryIndex vocabulary_;
    std::string input_name_;
    std::string output_name_;
    bool sparse_ = false;
    DType dtype_ = DType::Float64;
    Shape shape_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<DictVectorizer>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kDictVectorizer, "dictVectorizer", make)

}  // namespace opencoreml::models::transformers
