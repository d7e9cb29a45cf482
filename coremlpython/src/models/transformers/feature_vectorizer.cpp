// opencoreml transformers: the featureVectorizer model kind — numbers, multi-arrays and
// int64-keyed (sparse) dictionaries laid end to end in one array, in inputList order.
#include <memory>

#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

struct Column {
    std::string name;
    int64_t offset = 0;
    int64_t size = 0;
};

class FeatureVectorizer final : public Predictor {
public:
    explicit FeatureVectorizer(const LoadContext& ctx) : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "featureVectorizer")) {
        const auto& output = sole_output(interface(), origin_);
        if (!output.type().has_multiarraytype()) invalid_model(origin_, "the output '" + output.name() + "' must be a multi-array");
        output_name_ = output.name();
        dtype_ = declared_dtype(output);
        for (const auto& item : ctx.spec.featurevectorizer().inputlist()) {
            const auto& d = named_input(interface(), item.inputcolumn(), "inputList", origin_);
            const int64_t size = static_cast<int64_t>(item.inputdimensions());
            if (size <= 0) invalid_model(origin_, "inputList entry '" + d.name() + "' has inputDimensions 0");
            const auto& type = d.type();
            const bool scalar = type.has_int64type() || type.has_doubletype();
            if (scalar && size != 1)
                invalid_model(origin_, "input '" + d.name() + "' is a single number but inputList gives it " +
                                           std::to_string(size) + " dimensions");
            if (type.has_dictionarytype() && !type.dictionarytype().has_int64keytype())
                invalid_model(origin_, "dictionary input '" + d.name() + "' must have int64 keys (index -> value)");
            if (!scalar && !type.has_multiarraytype() && !type.has_dictionarytype())
                invalid_model(origin_, "input '" + d.name() + "' must be an int64, a double, a multi-array or a dictionary");
            columns_.push_back({d.name(), total_, size});
            total_ += size;
        }
        shape_ = output_shape(output, total_);
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        std::vector<double> out(static_cast<size_t>(total_), 0.0);
        for (const Column& c : columns_) place(c, input_value(inputs, c.name, origin_), out.data() + c.offset);
        FeatureMap outputs;
        outputs[output_name_] = make_array(out, shape_, dtype_);
        return outputs;
    }

private:
    void place(const Column& c, const FeatureValue& value, double* dst) const {
        if (const auto* i = std::get_if<int64_t>(&value)) {
            dst[0] = static_cast<double>(*i);
        } else if (const auto* d = std::get_if<double>(&value)) {
            dst[0] = *d;
        } else if (const auto* t = std::get_if<Tensor>(&value)) {
            if (t->numel() != c.size)
                invalid_input(origin_, "input '" + c.name + "' has " + std::to_string(t->numel()) +
                                           " elements, inputList gives it " + std::to_string(c.size));
            const std::vector<double> values = array_values(*t);
            std::copy(values.begin(), values.end(), dst);
        } else if (const auto* sparse = std::get_if<Int64Dictionary>(&value)) {
            for (const auto& [index, v] : *sparse) {
                if (index < 0 || index >= c.size)
                    invalid_input(origin_, "dictionary input '" + c.name + "' has key " + std::to_string(index) +
                                               ", outside the " + std::to_string(c.size) + " dimensions inputList gives it");
                dst[index] = v;
            }
        } else {
            invalid_input(origin_, "input '" + c.name + "' is " + feature_value_kind(value) +
                                       "; expected a number, a multi-array or an int64-keyed dictionary");
        }
    }

    std::string origin_;
    std::string output_name_;
    DType dtype_ = DType::Float64;
    std::vector<Column> columns_;
    int64_t total_ = 0;
    Shape shape_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<FeatureVectorizer>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kFeatureVectorizer, "featureVectorizer", make)

}  // namespace opencoreml::models::transformers
