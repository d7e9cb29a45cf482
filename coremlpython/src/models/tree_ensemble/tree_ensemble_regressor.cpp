// opencoreml tree ensembles: the treeEnsembleRegressor model kind. Its output is a double
// (one prediction dimension) or a multi-array holding every dimension.
#include "Model.pb.h"
#include "models/common/regression_output.hpp"
#include "models/tree_ensemble/ensemble_scorer.hpp"

namespace opencoreml::models::trees {

namespace {

class TreeEnsembleRegressor final : public Predictor {
public:
    explicit TreeEnsembleRegressor(const LoadContext& ctx)
        : Predictor(ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin)),
          scorer_(ctx.spec.treeensembleregressor().treeensemble(), ctx.spec.treeensembleregressor().postevaluationtransform(),
                  interface(), ctx.options.num_threads, ctx.origin),
          output_(ctx.spec.description(), interface(), scorer_.dimensions(), ctx.origin) {}

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        FeatureMap out;
        output_.write(scorer_.score(interface(), inputs), out);
        return out;
    }

    std::vector<FeatureMap> run_batch(const std::vector<FeatureMap>& batch) const override {
        const size_t dims = scorer_.dimensions();
        const std::vector<double> scores = scorer_.score_batch(interface(), batch);
        std::vector<FeatureMap> out(batch.size());
        for (size_t i = 0; i < batch.size(); ++i)
            output_.write(std::vector<double>(scores.begin() + i * dims, scores.begin() + (i + 1) * dims), out[i]);
        return out;
    }

private:
    EnsembleScorer scorer_;
    RegressionOutput output_;
};

std::unique_ptr<Predictor> make_regressor(const LoadContext& ctx) { return std::make_unique<TreeEnsembleRegressor>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kTreeEnsembleRegressor, "treeEnsembleRegressor", make_regressor)

}  // namespace opencoreml::models::trees
