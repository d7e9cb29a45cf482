// opencoreml GLMs: the glmRegressor model kind — one linear score per target, optionally
// passed through the logistic or probit function.
#include <memory>

#include "Model.pb.h"
#include "models/common/regression_output.hpp"
#include "models/common/sized_input_row.hpp"
#include "models/glm/linear_scores.hpp"
#include "models/glm/link_functions.hpp"

namespace opencoreml::models::glm {

namespace {

namespace spec = CoreML::Specification;

class GlmRegressor final : public Predictor {
public:
    explicit GlmRegressor(const LoadContext& ctx)
        : Predictor(ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin)),
          origin_(ctx.origin + " (glmRegressor)"),
          scores_(ctx.spec.glmregressor().weights(), ctx.spec.glmregressor().offset(), origin_),
          transform_(ctx.spec.glmregressor().postevaluationtransform()),
          output_(ctx.spec.description(), interface(), scores_.outputs(), origin_) {
        if (transform_ != spec::GLMRegressor::NoTransform && transform_ != spec::GLMRegressor::Logit &&
            transform_ != spec::GLMRegressor::Probit)
            throw Error(ErrorCode::InvalidModel,
                        origin_ + ": unknown postEvaluationTransform " + std::to_string(static_cast<int>(transform_)));
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        std::vector<double> values =
            scores_.apply(sized_input_row(interface(), inputs, scores_.width(), RowLength::Exactly, origin_));
        if (transform_ == spec::GLMRegressor::Logit)
            for (double& v : values) v = logistic(v);
        else if (transform_ == spec::GLMRegressor::Probit)
            for (double& v : values) v = probit(v);
        FeatureMap outputs;
        output_.write(values, outputs);
        return outputs;
    }

private:
    std::string origin_;
    LinearScores scores_;
    spec::GLMRegressor::PostEvaluationTransform transform_;
    RegressionOutput output_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<GlmRegressor>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kGlmRegressor, "glmRegressor", make)

}  // namespace opencoreml::models::glm
