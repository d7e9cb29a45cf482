// opencoreml GLMs: the glmClassifier model kind — linear scores turned into class
// probabilities by the logistic or probit function under ReferenceClass or OneVsRest
// encoding.
#include <algorithm>
#include <cmath>
#include <memory>

#include "Model.pb.h"
#include "models/common/classic_io.hpp"
#include "models/common/sized_input_row.hpp"
#include "models/glm/linear_scores.hpp"
#include "models/glm/link_functions.hpp"

namespace opencoreml::models::glm {

namespace {

namespace spec = CoreML::Specification;

// Probabilities from scores whose logs are `logs`, normalised without overflow.
std::vector<double> normalise_logs(std::vector<double> logs) {
    const double top = *std::max_element(logs.begin(), logs.end());
    double sum = 0.0;
    for (double& v : logs) sum += (v = std::exp(v - top));
    for (double& v : logs) v /= sum;
    return logs;
}

class GlmClassifier final : public Predictor {
public:
    explicit GlmClassifier(const LoadContext& ctx)
        : Predictor(ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin)),
          origin_(ctx.origin + " (glmClassifier)"),
          description_(ctx.spec.description()),
          scores_(ctx.spec.glmclassifier().weights(), ctx.spec.glmclassifier().offset(), origin_),
          labels_(labels_from(ctx.spec.glmclassifier().stringclasslabels(), ctx.spec.glmclassifier().int64classlabels())),
          probit_(ctx.spec.glmclassifier().postevaluationtransform() == spec::GLMClassifier::Probit),
          reference_class_(ctx.spec.glmclassifier().classencoding() == spec::GLMClassifier::ReferenceClass) {
        const auto& glm = ctx.spec.glmclassifier();
        const size_t classes = label_count(labels_);
        const size_t rows = scores_.outputs();
        if (glm.postevaluationtransform() != spec::GLMClassifier::Logit && !probit_)
            throw Error(ErrorCode::InvalidModel, origin_ + ": unknown postEvaluationTransform " +
                                                     std::to_string(static_cast<int>(glm.postevaluationtransform())));
        if (glm.classencoding() != spec::GLMClassifier::OneVsRest && !reference_class_)
            throw Error(ErrorCode::InvalidModel, origin_ + ": unknown classEncoding " +
                                                     std::to_string(static_cast<int>(glm.classencoding())));
        if (classes < 2) throw Error(ErrorCode::InvalidModel, origin_ + ": a classifier needs at least two class labels");
        const size_t expected_rows = (reference_class_ || classes == 2) ? classes - 1 : classes;
        if (rows != expected_rows)
            throw Error(ErrorCode::InvalidModel,
                        origin_ + ": " + std::to_string(classes) + " classes with " +
                            (reference_class_ ? "ReferenceClass" : "OneVsRest") + " encoding need " +
                            std::to_string(expected_rows) + " weight rows, the model has " + std::to_string(rows));
        if (probit_ && classes != 2)
            throw Error(ErrorCode::InvalidModel, origin_ + ": the Probit transform is only defined for two classes");
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const std::vector<double> z =
            scores_.apply(sized_input_row(interface(), inputs, scores_.width(), RowLength::Exactly, origin_));
        FeatureMap outputs;
        write_classifier_outputs(description_, interface(), labels_, probabilities(z), outputs);
        return outputs;
    }

private:
    std::vector<double> probabilities(const std::vector<double>& z) const {
        if (z.size() == 1) {
            // One score is P(second class); the symmetric links give the first class exactly.
            if (probit_) return {probit(-z[0]), probit(z[0])};
            return {logistic(-z[0]), logistic(z[0])};
        }
        std::vector<double> logs;
        if (reference_class_) {
            // Multinomial logit: the first class is the reference with a score of zero.
            logs.push_back(0.0);
            logs.insert(logs.end(), z.begin(), z.end());
        } else {
            // One-vs-rest: each class's own logistic probability, rescaled to sum to one.
            for (double v : z) logs.push_back(log_logistic(v));
        }
        return normalise_logs(std::move(logs));
    }

    std::string origin_;
    spec::ModelDescription description_;
    LinearScores scores_;
    ClassLabels labels_;
    bool probit_;
    bool reference_class_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<GlmClassifier>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kGlmClassifier, "glmClassifier", make)

}  // namespace opencoreml::models::glm
