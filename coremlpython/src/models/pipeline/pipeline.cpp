// opencoreml pipelines: the pipeline, pipelineClassifier and pipelineRegressor model kinds —
// sub-models of any kind run in order over one running set of named features. Each stage
// reads its declared inputs from the set (checked and converted against its own interface,
// as if called directly) and its outputs are added to the set, replacing same-named
// features; the pipeline returns its declared outputs. A batch runs stage by stage, each
// stage's run_batch once over all rows.
#include <memory>
#include <set>

#include "Model.pb.h"
#include "opencoreml/predictor.hpp"

namespace opencoreml::models::pipeline {

namespace {

namespace spec = CoreML::Specification;

struct Stage {
    std::shared_ptr<Predictor> predictor;
    std::string label;  // "stage 2 ('scaler', a scaler)" for error messages
};

class Pipeline final : public Predictor {
public:
    Pipeline(const LoadContext& ctx, const spec::Pipeline& params, const char* kind)
        : Predictor(ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin)),
          origin_(ctx.origin + " (" + kind + ")") {
        if (params.models_size() == 0) fail("the pipeline holds no models");
        if (params.names_size() > 0 && params.names_size() != params.models_size())
            fail("the pipeline names " + std::to_string(params.names_size()) + " models but holds " +
                 std::to_string(params.models_size()));

        std::set<std::string> available;
        for (const auto& d : interface().inputs()) available.insert(d.name());
        LoadOptions options = ctx.options;
        options.function_name.clear();  // sub-models have a single interface each
        for (int i = 0; i < params.models_size(); ++i) {
            const spec::Model& model = params.models(i);
            const std::string name = params.names_size() > 0 ? params.names(i) : "model" + std::to_string(i);
            const std::string label = "stage " + std::to_string(i) + " ('" + name + "')";
            for (const auto& d : model.description().input())
                if (!d.type().isoptional() && !available.count(d.name()))
                    fail(label + " needs input '" + d.name() +
                         "', which is neither a pipeline input nor an output of an earlier stage");
            std::shared_ptr<Predictor> predictor =
                make_predictor(LoadContext{model, ctx.model_dir, options, origin_ + ", " + label});
            if (predictor->is_stateful()) fail(label + " is a stateful model, which a pipeline cannot hold");
            for (const auto& d : predictor->interface().outputs()) available.insert(d.name());
            stages_.push_back({std::move(predictor), label});
        }
        for (const auto& d : interface().outputs())
            if (!available.count(d.name()))
                fail("output '" + d.name() + "' is neither a pipeline input nor produced by any stage");
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        FeatureMap features = inputs;
        for (const Stage& stage : stages_) merge(stage.predictor->run(stage_inputs(stage, features), nullptr), features);
        return declared_outputs(features);
    }

    std::vector<FeatureMap> run_batch(const std::vector<FeatureMap>& batch) const override {
        std::vector<FeatureMap> features = batch;
        std::vector<FeatureMap> rows(batch.size());
        for (const Stage& stage : stages_) {
            for (size_t r = 0; r < features.size(); ++r) rows[r] = stage_inputs(stage, features[r]);
            std::vector<FeatureMap> produced = stage.predictor->run_batch(rows);
            if (produced.size() != features.size())
                throw Error(ErrorCode::InvalidModel, origin_ + ": " + stage.label + " returned " + std::to_string(produced.size()) +
                                                         " results for " + std::to_string(features.size()) + " rows");
            for (size_t r = 0; r < features.size(); ++r) merge(std::move(produced[r]), features[r]);
        }
        std::vector<FeatureMap> out;
        out.reserve(features.size());
        for (const FeatureMap& f : features) out.push_back(declared_outputs(f));
        return out;
    }

private:
    [[noreturn]] void fail(const std::string& problem) const { throw Error(ErrorCode::InvalidModel, origin_ + ": " + problem); }

    // The features a stage declares, checked and converted as the stage's own predict would.
    static FeatureMap stage_inputs(const Stage& stage, const FeatureMap& features) {
        FeatureMap in;
        for (const auto& d : stage.predictor->interface().inputs()) {
            auto it = features.find(d.name());
            if (it != features.end()) in.emplace(it->first, it->second);
        }
        stage.predictor->interface().check_inputs(in);
        return in;
    }

    static void merge(FeatureMap produced, FeatureMap& features) {
        for (auto& [name, value] : produced) features.insert_or_assign(name, std::move(value));
    }

    FeatureMap declared_outputs(const FeatureMap& features) const {
        FeatureMap out;
        for (const auto& d : interface().outputs()) {
            auto it = features.find(d.name());
            if (it != features.end()) {
                out.emplace(d.name(), it->second);
            } else if (!d.type().isoptional()) {
                throw Error(ErrorCode::InvalidModel, origin_ + ": no stage produced the output '" + d.name() + "'");
            }
        }
        return out;
    }

    std::string origin_;
    std::vector<Stage> stages_;
};

std::unique_ptr<Predictor> make_pipeline(const LoadContext& ctx) {
    return std::make_unique<Pipeline>(ctx, ctx.spec.pipeline(), "pipeline");
}
std::unique_ptr<Predictor> make_classifier(const LoadContext& ctx) {
    return std::make_unique<Pipeline>(ctx, ctx.spec.pipelineclassifier().pipeline(), "pipelineClassifier");
}
std::unique_ptr<Predictor> make_regressor(const LoadContext& ctx) {
    return std::make_unique<Pipeline>(ctx, ctx.spec.pipelineregressor().pipeline(), "pipelineRegressor");
}

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kPipeline, "pipeline", make_pipeline)
OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kPipelineClassifier, "pipelineClassifier", make_classifier)
OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kPipelineRegressor, "pipelineRegressor", make_regressor)

}  // namespace opencoreml::models::pipeline
