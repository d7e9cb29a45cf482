// opencoreml SVMs: the supportVectorRegressor model kind — sum of coefficient times kernel
// over the support vectors, minus rho (libsvm's convention).
#include <memory>

#include "Model.pb.h"
#include "models/common/regression_output.hpp"
#include "models/common/sized_input_row.hpp"
#include "models/svm/kernel.hpp"
#include "models/svm/support_vectors.hpp"

namespace opencoreml::models::svm {

namespace {

class SvmRegressor final : public Predictor {
public:
    explicit SvmRegressor(const LoadContext& ctx)
        : Predictor(ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin)),
          origin_(ctx.origin + " (supportVectorRegressor)"),
          kernel_(ctx.spec.supportvectorregressor().kernel(), origin_),
          vectors_(support_vectors_of(ctx.spec.supportvectorregressor(), origin_)),
          coefficients_(ctx.spec.supportvectorregressor().coefficients().alpha().begin(),
                        ctx.spec.supportvectorregressor().coefficients().alpha().end()),
          rho_(ctx.spec.supportvectorregressor().rho()),
          output_(ctx.spec.description(), interface(), 1, origin_) {
        if (coefficients_.size() != vectors_.count())
            throw Error(ErrorCode::InvalidModel, origin_ + ": " + std::to_string(coefficients_.size()) +
                                                     " coefficients for " + std::to_string(vectors_.count()) +
                                                     " support vectors");
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const std::vector<double> row =
            sized_input_row(interface(), inputs, vectors_.required_width(), vectors_.row_rule(), origin_);
        std::vector<double> k(vectors_.count());
        vectors_.kernel_row(kernel_, row, k.data());
        double value = -rho_;
        for (size_t i = 0; i < k.size(); ++i) value += coefficients_[i] * k[i];
        FeatureMap outputs;
        output_.write({value}, outputs);
        return outputs;
    }

private:
    std::string origin_;
    Kernel kernel_;
    SupportVectors vectors_;
    std::vector<double> coefficients_;
    double rho_;
    RegressionOutput output_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<SvmRegressor>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kSupportVectorRegressor, "supportVectorRegressor", make)

}  // namespace opencoreml::models::svm
