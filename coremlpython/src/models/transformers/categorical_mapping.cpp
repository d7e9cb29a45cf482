// opencoreml transformers: the categoricalMapping model kind — string -> int64 or int64 ->
// string through the spec's map, for one value or element-wise over a sequence. A value
// not in the map gives the spec's default (ValueOnUnknown), or an error naming it when no
// default is set.
#include <memory>
#include <optional>
#include <unordered_map>

#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

class CategoricalMapping final : public Predictor {
public:
    explicit CategoricalMapping(const LoadContext& ctx) : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "categoricalMapping")) {
        const auto& params = ctx.spec.categoricalmapping();
        switch (params.MappingType_case()) {
            case spec::CategoricalMapping::kStringToInt64Map:
                for (const auto& entry : params.stringtoint64map().map()) to_int_.emplace(entry.first, entry.second);
                if (params.has_strvalue()) invalid_model(origin_, "the default (ValueOnUnknown) is a string but the mapping produces int64s");
                if (params.has_int64value()) int_default_ = params.int64value();
                break;
            case spec::CategoricalMapping::kInt64ToStringMap:
                for (const auto& entry : params.int64tostringmap().map()) from_int_.emplace(entry.first, entry.second);
                if (params.has_int64value()) invalid_model(origin_, "the default (ValueOnUnknown) is an int64 but the mapping produces strings");
                if (params.has_strvalue()) string_default_ = params.strvalue();
                break;
            default: invalid_model(origin_, "no mapping is set (stringToInt64Map or int64ToStringMap)");
        }
        strings_in_ = params.MappingType_case() == spec::CategoricalMapping::kStringToInt64Map;
        const auto& input = sole_input(interface(), origin_);
        const auto& output = sole_output(interface(), origin_);
        input_name_ = input.name();
        output_name_ = output.name();
        const auto& in = input.type();
        const bool in_ok = in.has_sequencetype() ? (strings_in_ ? in.sequencetype().has_stringtype() : in.sequencetype().has_int64type())
                                                  : (strings_in_ ? in.has_stringtype() : in.has_int64type());
        if (!in_ok)
            invalid_model(origin_, std::string("the input '") + input_name_ + "' must be " +
                                       (strings_in_ ? "a string (or a sequence of strings)" : "an int64 (or a sequence of int64s)"));
        if (in.has_sequencetype() != output.type().has_sequencetype())
            invalid_model(origin_, "the input and the output must both be sequences or both single values");
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const FeatureValue& value = input_value(inputs, input_name_, origin_);
        FeatureMap outputs;
        if (const auto* s = std::get_if<std::string>(&value)) {
            outputs[output_name_] = map(*s);
        } else if (const auto* i = std::get_if<int64_t>(&value)) {
            outputs[output_name_] = map(*i);
        } else if (const auto* strings = std::get_if<StringSequence>(&value)) {
            Int64Sequence mapped;
            mapped.reserve(strings->size());
            for (const auto& s : *strings) mapped.push_back(map(s));
            outputs[output_name_] = std::move(mapped);
        } else if (const auto* ints = std::get_if<Int64Sequence>(&value)) {
            StringSequence mapped;
            mapped.reserve(ints->size());
            for (int64_t i : *ints) mapped.push_back(map(i));
            outputs[output_name_] = std::move(mapped);
        } else {
            invalid_input(origin_, "input '" + input_name_ + "' has the wrong type: " + feature_value_kind(value));
        }
        return outputs;
    }

private:
    int64_t map(const std::string& key) const {
        if (!strings_in_) invalid_input(origin_, "input '" + input_name_ + "' must be an int64, got the string " + quoted(key));
        auto it = to_int_.find(key);
        if (it != to_int_.end()) return it->second;
        if (int_default_) return *int_default_;
        unknown(quoted(key));
    }

    std::string map(int64_t key) const {
        if (strings_in_) invalid_input(origin_, "input '" + input_name_ + "' must be a string, got the int64 " + quoted(key));
        auto it = from_int_.find(key);
        if (it != from_int_.end()) return it->second;
        if (string_default_) return *string_default_;
        unknown(quoted(key));
    }

    [[noreturn]] void unknown(const std::string& key) const {
        invalid_input(origin_, "input '" + input_name_ + "' is " + key +
                                   ", which the mapping does not contain (and the model sets no default value for unknown inputs)");
    }

    std::string origin_;
    bool strings_in_ = true;
    std::unordered_map<std::string, int64_t> to_int_;
    std::unordered_map<int64_t, std::string> from_int_;
    std::optional<int64_t> int_default_;
    std::optional<std::string> string_default_;
    std::string input_name_;
    std::string output_name_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<CategoricalMapping>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kCategoricalMapping, "categoricalMapping", make)

}  // namespace opencoreml::models::transformers
