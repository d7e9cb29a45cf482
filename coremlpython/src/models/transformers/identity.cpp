// opencoreml transformers: the identity model kind — inputs passed through unchanged. An
// output takes the input of the same name, else the input at its own position.
#include <memory>

#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

class Identity final : public Predictor {
public:
    explicit Identity(const LoadContext& ctx) : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "identity")) {
        const auto& ins = interface().inputs();
        const auto& outs = interface().outputs();
        for (size_t j = 0; j < outs.size(); ++j) {
            const std::string& name = outs[j].name();
            if (interface().find_input(name)) {
                routes_.emplace_back(name, name);
            } else if (j < ins.size()) {
                routes_.emplace_back(ins[j].name(), name);
            } else {
                invalid_model(origin_, "output '" + name + "' has no input of the same name nor one at its position " + std::to_string(j));
            }
        }
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        FeatureMap outputs;
        for (const auto& [from, to] : routes_) {
            auto it = inputs.find(from);
            if (it != inputs.end()) outputs[to] = it->second;  // an optional input left out stays out
        }
        return outputs;
    }

private:
    std::string origin_;
    std::vector<std::pair<std::string, std::string>> routes_;  // input name -> output name
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<Identity>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kIdentity, "identity", make)

}  // namespace opencoreml::models::transformers
