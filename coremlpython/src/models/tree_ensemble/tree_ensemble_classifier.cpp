// opencoreml tree ensembles: the treeEnsembleClassifier model kind. With one prediction
// dimension and two classes the single (transformed) score is the probability of the second
// class and the first gets the rest; otherwise there is one score per class.
#include "Model.pb.h"
#include "models/common/classic_io.hpp"
#include "models/tree_ensemble/ensemble_scorer.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml::models::trees {

namespace {

namespace spec = CoreML::Specification;

// The model's labels; a model without any is taken to mean classes 0, 1, ... (0 and 1 for a
// single score).
ClassLabels plan_labels(const spec::TreeEnsembleClassifier& model, size_t dims, const std::string& origin) {
    ClassLabels labels = labels_from(model.stringclasslabels(), model.int64classlabels());
    size_t n = label_count(labels);
    if (n == 0) {
        std::vector<int64_t> defaults(dims == 1 ? 2 : dims);
        for (size_t i = 0; i < defaults.size(); ++i) defaults[i] = static_cast<int64_t>(i);
        return defaults;
    }
    if (!((dims == 1 && n == 2) || (dims >= 2 && n == dims)))
        throw Error(ErrorCode::InvalidModel, origin + ": tree ensemble classifier has " + std::to_string(n) +
                                                 " class labels but " + std::to_string(dims) +
                                                 " prediction dimensions (expected as many, or 1 for two classes)");
    return labels;
}

void check_label_output(const ModelInterface& interface, const spec::ModelDescription& description,
                        const ClassLabels& labels, const std::string& origin) {
    const spec::FeatureDescription* out = interface.find_output(description.predictedfeaturename());
    if (!out) return;
    const bool string_labels = std::holds_alternative<std::vector<std::string>>(labels);
    if ((string_labels && out->type().has_int64type()) || (!string_labels && out->type().has_stringtype()))
        throw Error(ErrorCode::InvalidModel, origin + ": output '" + out->name() + "' is declared " +
                                                 (string_labels ? "int64" : "string") + " but the class labels are " +
                                                 (string_labels ? "strings" : "integers"));
}

class TreeEnsembleClassifier final : public Predictor {
public:
    explicit TreeEnsembleClassifier(const LoadContext& ctx)
        : Predictor(ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin)),
          scorer_(ctx.spec.treeensembleclassifier().treeensemble(), ctx.spec.treeensembleclassifier().postevaluationtransform(),
                  interface(), ctx.options.num_threads, ctx.origin),
          labels_(plan_labels(ctx.spec.treeensembleclassifier(), scorer_.dimensions(), ctx.origin)),
          description_(ctx.spec.description()) {
        check_label_output(interface(), description_, labels_, ctx.origin);
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const std::vector<double> scores = scorer_.score(interface(), inputs);
        FeatureMap out;
        write(scores.data(), out);
        return out;
    }

    std::vector<FeatureMap> run_batch(const std::vector<FeatureMap>& batch) const override {
        const std::vector<double> scores = scorer_.score_batch(interface(), batch);
        std::vector<FeatureMap> out(batch.size());
        for (size_t i = 0; i < batch.size(); ++i) write(scores.data() + i * scorer_.dimensions(), out[i]);
        return out;
    }

private:
    void write(const double* scores, FeatureMap& out) const {
        const size_t dims = scorer_.dimensions();
        const std::vector<double> probabilities =
            dims == 1 ? std::vector<double>{1.0 - scores[0], scores[0]} : std::vector<double>(scores, scores + dims);
        write_classifier_outputs(description_, interface(), labels_, probabilities, out);
    }

    EnsembleScorer scorer_;
    ClassLabels labels_;
    spec::ModelDescription description_;
};

std::unique_ptr<Predictor> make_classifier(const LoadContext& ctx) { return std::make_unique<TreeEnsembleClassifier>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kTreeEnsembleClassifier, "treeEnsembleClassifier", make_classifier)

}  // namespace opencoreml::models::trees
