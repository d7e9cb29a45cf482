// opencoreml tree ensembles: the treeEnsembleRegressor model kind. Its output is a double
// (one prediction dimension) or a multi-array holding every dimension.
#include "Model.pb.h"
#include "models/tree_ensemble/ensemble_scorer.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml::models::trees {

namespace {

namespace spec = CoreML::Specification;

// Where and how the prediction is written, decided once at load.
struct RegressorOutput {
    std::string name;
    bool as_double = true;
    DType dtype = DType::Float64;
    Shape shape;
};

RegressorOutput plan_output(const ModelInterface& interface, const spec::ModelDescription& description, size_t dims,
                            const std::string& origin) {
    const spec::FeatureDescription* out = nullptr;
    if (!description.predictedfeaturename().empty()) out = interface.find_output(description.predictedfeaturename());
    if (!out && !interface.outputs().empty()) out = &interface.outputs().front();
    if (!out) throw Error(ErrorCode::InvalidModel, origin + ": tree ensemble regressor declares no output");

    RegressorOutput plan;
    plan.name = out->name();
    const auto& type = out->type();
    if (type.has_doubletype()) {
        if (dims != 1)
            throw Error(ErrorCode::InvalidModel, origin + ": output '" + plan.name + "' is a double but the trees predict " +
                                                     std::to_string(dims) + " dimensions (declare a multi-array)");
        return plan;
    }
    if (!type.has_multiarraytype())
        throw Error(ErrorCode::InvalidModel, origin + ": tree ensemble regressor output '" + plan.name +
                                                 "' must be a double or a multi-array");
    plan.as_double = false;
    switch (type.multiarraytype().datatype()) {
        case spec::ArrayFeatureType::FLOAT32: plan.dtype = DType::Float32; break;
        case spec::ArrayFeatureType::FLOAT16: plan.dtype = DType::Float16; break;
        case spec::ArrayFeatureType::INT32: plan.dtype = DType::Int32; break;
        default: plan.dtype = DType::Float64; break;
    }
    // The declared shape when it holds exactly the prediction, else a vector.
    Shape declared(type.multiarraytype().shape().begin(), type.multiarraytype().shape().end());
    plan.shape = (!declared.empty() && shape_numel(declared) == static_cast<int64_t>(dims)) ? declared
                                                                                          : Shape{static_cast<int64_t>(dims)};
    return plan;
}

class TreeEnsembleRegressor final : public Predictor {
public:
    explicit TreeEnsembleRegressor(const LoadContext& ctx)
        : Predictor(ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin)),
          scorer_(ctx.spec.treeensembleregressor().treeensemble(), ctx.spec.treeensembleregressor().postevaluationtransform(),
                  interface(), ctx.options.num_threads, ctx.origin),
          output_(plan_output(interface(), ctx.spec.description(), scorer_.dimensions(), ctx.origin)) {}

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
        if (output_.as_double) {
            out[output_.name] = scores[0];
            return;
        }
        Tensor values = Tensor::empty(DType::Float64, output_.shape);
        std::copy(scores, scores + scorer_.dimensions(), values.data<double>());
        out[output_.name] = output_.dtype == DType::Float64 ? values : values.to(output_.dtype);
    }

    EnsembleScorer scorer_;
    RegressorOutput output_;
};

std::unique_ptr<Predictor> make_regressor(const LoadContext& ctx) { return std::make_unique<TreeEnsembleRegressor>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kTreeEnsembleRegressor, "treeEnsembleRegressor", make_regressor)

}  // namespace opencoreml::models::trees
