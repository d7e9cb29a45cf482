// opencoreml runtime: the model-kind registry, Predictor's checked entry points and loading
// a Predictor from a model file.
#include "opencoreml/predictor.hpp"

#include <filesystem>
#include <map>
#include <mutex>

#include "Model.pb.h"
#include "opencoreml/model_info.hpp"

namespace opencoreml {

namespace {

struct Registry {
    std::mutex mutex;
    std::map<int, std::pair<std::string, PredictorFactory>> factories;
};

Registry& registry() {
    static Registry r;
    return r;
}

}  // namespace

void register_model_kind(int type_case, const char* kind_name, PredictorFactory factory) {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.factories[type_case] = {kind_name, std::move(factory)};
}

bool is_model_kind_supported(int type_case) {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    return r.factories.count(type_case) > 0;
}

std::shared_ptr<Predictor> make_predictor(const LoadContext& context) {
    PredictorFactory factory;
    {
        Registry& r = registry();
        std::lock_guard<std::mutex> lock(r.mutex);
        auto it = r.factories.find(static_cast<int>(context.spec.Type_case()));
        if (it != r.factories.end()) factory = it->second.second;
    }
    if (!factory)
        throw Error(ErrorCode::NotImplemented, context.origin + ": models of kind '" + model_kind_name(context.spec) +
                                                   "' cannot run in this opencoreml build yet");
    return std::shared_ptr<Predictor>(factory(context));
}

std::shared_ptr<Predictor> load_predictor(const ModelFile& model, const LoadOptions& options) {
    const std::string model_dir = std::filesystem::path(model.spec_path).parent_path().string();
    return make_predictor(LoadContext{*model.spec, model_dir, options, "model '" + model.path + "'"});
}

FeatureMap Predictor::predict(FeatureMap inputs, State* state) const {
    interface_.check_inputs(inputs);
    if (is_stateful() && state == nullptr)
        throw Error(ErrorCode::InvalidArgument,
                    "this model is stateful: pass a state made by make_state() to predict (predict(data, state=state))");
    return run(inputs, state);
}

std::vector<FeatureMap> Predictor::predict_batch(std::vector<FeatureMap> batch) const {
    if (is_stateful())
        throw Error(ErrorCode::InvalidArgument, "a stateful model cannot be used with batch prediction");
    for (auto& row : batch) interface_.check_inputs(row);
    return run_batch(batch);
}

std::vector<FeatureMap> Predictor::run_batch(const std::vector<FeatureMap>& batch) const {
    std::vector<FeatureMap> out;
    out.reserve(batch.size());
    for (const auto& row : batch) out.push_back(run(row, nullptr));
    return out;
}

std::unique_ptr<State> Predictor::make_state() const {
    throw Error(ErrorCode::InvalidArgument, "this model has no state: make_state() is only for stateful models");
}

}  // namespace opencoreml
