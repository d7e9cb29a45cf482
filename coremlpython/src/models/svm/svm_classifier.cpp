// opencoreml SVMs: the supportVectorClassifier model kind — libsvm's one-vs-one layout
// (support vectors grouped by class, K-1 coefficient rows, one rho per class pair), voting,
// and Platt + pairwise-coupling probabilities when the model carries probA/probB.
#include <memory>

#include "Model.pb.h"
#include "models/common/classic_io.hpp"
#include "models/common/sized_input_row.hpp"
#include "models/svm/kernel.hpp"
#include "models/svm/pairwise_coupling.hpp"
#include "models/svm/support_vectors.hpp"

namespace opencoreml::models::svm {

namespace {

namespace spec = CoreML::Specification;

// One binary sub-problem: class i against class j (i < j), in libsvm's pair order.
struct ClassPair {
    size_t i, j;
    double rho;
    double prob_a, prob_b;
};

class SvmClassifier final : public Predictor {
public:
    explicit SvmClassifier(const LoadContext& ctx)
        : Predictor(ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin)),
          origin_(ctx.origin + " (supportVectorClassifier)"),
          description_(ctx.spec.description()),
          kernel_(ctx.spec.supportvectorclassifier().kernel(), origin_),
          vectors_(support_vectors_of(ctx.spec.supportvectorclassifier(), origin_)),
          labels_(labels_from(ctx.spec.supportvectorclassifier().stringclasslabels(),
                              ctx.spec.supportvectorclassifier().int64classlabels())) {
        const auto& svm = ctx.spec.supportvectorclassifier();
        const size_t classes = label_count(labels_);
        const size_t total = vectors_.count();
        if (classes == 0) throw Error(ErrorCode::InvalidModel, origin_ + ": the classifier has no class labels");
        if (static_cast<size_t>(svm.numberofsupportvectorsperclass_size()) != classes)
            fail("numberOfSupportVectorsPerClass has " + std::to_string(svm.numberofsupportvectorsperclass_size()) +
                 " entries for " + std::to_string(classes) + " classes");
        class_start_.push_back(0);
        for (int32_t n : svm.numberofsupportvectorsperclass()) {
            if (n < 0) fail("numberOfSupportVectorsPerClass has a negative count");
            class_start_.push_back(class_start_.back() + static_cast<size_t>(n));
        }
        if (class_start_.back() != total)
            fail("numberOfSupportVectorsPerClass sums to " + std::to_string(class_start_.back()) + " but there are " +
                 std::to_string(total) + " support vectors");
        if (static_cast<size_t>(svm.coefficients_size()) != classes - 1)
            fail(std::to_string(svm.coefficients_size()) + " coefficient rows, expected classes - 1 = " +
                 std::to_string(classes - 1));
        for (const auto& row : svm.coefficients()) {
            if (static_cast<size_t>(row.alpha_size()) != total)
                fail("a coefficient row has " + std::to_string(row.alpha_size()) + " values for " +
                     std::to_string(total) + " support vectors");
            coefficients_.insert(coefficients_.end(), row.alpha().begin(), row.alpha().end());
        }
        const size_t pairs = classes * (classes - 1) / 2;
        if (static_cast<size_t>(svm.rho_size()) != pairs)
            fail(std::to_string(svm.rho_size()) + " rho values, expected one per class pair (" + std::to_string(pairs) + ")");
        with_probabilities_ = svm.proba_size() > 0 || svm.probb_size() > 0;
        if (with_probabilities_ &&
            (static_cast<size_t>(svm.proba_size()) != pairs || static_cast<size_t>(svm.probb_size()) != pairs))
            fail("probA and probB need one value per class pair (" + std::to_string(pairs) + "), got " +
                 std::to_string(svm.proba_size()) + " and " + std::to_string(svm.probb_size()));
        if (!with_probabilities_ && !description_.predictedprobabilitiesname().empty())
            fail("it declares the probability output '" + description_.predictedprobabilitiesname() +
                 "' but has no probA/probB to compute probabilities from");
        size_t p = 0;
        for (size_t i = 0; i < classes; ++i)
            for (size_t j = i + 1; j < classes; ++j, ++p)
                pairs_.push_back({i, j, svm.rho(static_cast<int>(p)),
                                  with_probabilities_ ? svm.proba(static_cast<int>(p)) : 0.0,
                                  with_probabilities_ ? svm.probb(static_cast<int>(p)) : 0.0});
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const std::vector<double> row =
            sized_input_row(interface(), inputs, vectors_.required_width(), vectors_.row_rule(), origin_);
        std::vector<double> k(vectors_.count());
        vectors_.kernel_row(kernel_, row, k.data());

        const size_t classes = label_count(labels_);
        std::vector<double> votes(classes, 0.0);
        std::vector<double> pairwise(with_probabilities_ ? classes * classes : 0);
        for (const ClassPair& pair : pairs_) {
            // Class i's vectors are weighted by coefficient row j-1 and class j's by row i.
            const double decision = weighted_sum(pair.j - 1, pair.i, k) + weighted_sum(pair.i, pair.j, k) - pair.rho;
            votes[decision > 0 ? pair.i : pair.j] += 1.0;
            if (with_probabilities_) {
                const double p_i = platt_probability(decision, pair.prob_a, pair.prob_b);
                pairwise[pair.i * classes + pair.j] = p_i;
                pairwise[pair.j * classes + pair.i] = 1.0 - p_i;
            }
        }
        FeatureMap outputs;
        // A probability model labels by its most probable class (libsvm's
        // svm_predict_probability); otherwise the vote decides, first class winning ties.
        write_classifier_outputs(description_, interface(), labels_,
                                 with_probabilities_ ? couple_pairwise(pairwise, classes) : votes, outputs);
        return outputs;
    }

private:
    [[noreturn]] void fail(const std::string& problem) const {
        throw Error(ErrorCode::InvalidModel, origin_ + ": " + problem);
    }

    double weighted_sum(size_t coefficient_row, size_t cls, const std::vector<double>& k) const {
        const double* coef = coefficients_.data() + coefficient_row * vectors_.count();
        double sum = 0.0;
        for (size_t s = class_start_[cls]; s < class_start_[cls + 1]; ++s) sum += coef[s] * k[s];
        return sum;
    }

    std::string origin_;
    spec::ModelDescription description_;
    Kernel kernel_;
    SupportVectors vectors_;
    ClassLabels labels_;
    std::vector<size_t> class_start_;   // class c's vectors are [class_start_[c], class_start_[c + 1])
    std::vector<double> coefficients_;  // (classes - 1) x vectors, row-major
    std::vector<ClassPair> pairs_;
    bool with_probabilities_ = false;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<SvmClassifier>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kSupportVectorClassifier, "supportVectorClassifier", make)

}  // namespace opencoreml::models::svm
