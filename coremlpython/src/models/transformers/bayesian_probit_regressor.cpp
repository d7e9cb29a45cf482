// opencoreml transformers: the bayesianProbitRegressor model kind. Features take discrete
// values; the weight of value v of feature i is Gaussian N(mean, 1/precision). For an input
// x (a vector: x[i] is the value of feature i; or an N x 2 matrix of (feature id, value)
// rows) the regression output <w, x> + bias is Gaussian with
//     mean     = bias.mean + sum of the selected weight means
//     variance = 1/bias.precision + sum of the selected weight variances
// and P(y = +1) = Phi(mean / sqrt(1 + variance)): the spec's Phi(<w, x> / beta) averaged over
// the weights, with beta = 1 as the spec stores no beta (a trainer folds it into the
// weights). A feature value without a weight adds nothing. Extra outputs:
//     pessimistic = Phi((mean + optimism * sqrt(variance)) / sqrt(1 + variance))
//     sampled     = Phi(mean + samplingScale * sqrt(variance) * z), z ~ N(0, 1) truncated to
//                   |z| <= samplingTruncation when that is positive (a Thompson sample).
// The probability output is the one declared output the spec's output names do not claim.
#include <cmath>
#include <map>
#include <memory>
#include <random>

#include "models/glm/link_functions.hpp"
#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

struct Gaussian {
    double mean = 0.0;
    double variance = 0.0;
};

class BayesianProbitRegressor final : public Predictor {
public:
    explicit BayesianProbitRegressor(const LoadContext& ctx)
        : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "bayesianProbitRegressor")) {
        const auto& bpr = ctx.spec.bayesianprobitregressor();
        if (bpr.has_bias()) bias_ = gaussian(bpr.bias(), "the bias");
        for (const auto& feature : bpr.features())
            for (const auto& w : feature.weights())
                weights_[{feature.featureid(), w.featurevalue()}] =
                    gaussian(w.featureweight(), "the weight of feature " + std::to_string(feature.featureid()) + " value " +
                                                    std::to_string(w.featurevalue()));

        x_in_ = bpr.regressioninputfeaturename();
        if (x_in_.empty())
            for (const auto& d : interface().inputs())
                if (d.type().has_multiarraytype()) { x_in_ = d.name(); break; }
        if (!named_input(interface(), x_in_, "regressionInputFeatureName", origin_).type().has_multiarraytype())
            invalid_model(origin_, "the regression input '" + x_in_ + "' must be a multi-array");
        optimism_in_ = optional_input(bpr.optimisminputfeaturename(), "optimismInputFeatureName");
        scale_in_ = optional_input(bpr.samplingscaleinputfeaturename(), "samplingScaleInputFeatureName");
        truncation_in_ = optional_input(bpr.samplingtruncationinputfeaturename(), "samplingTruncationInputFeatureName");

        mean_out_ = optional_output(bpr.meanoutputfeaturename(), "meanOutputFeatureName");
        variance_out_ = optional_output(bpr.varianceoutputfeaturename(), "varianceOutputFeatureName");
        pessimistic_out_ = optional_output(bpr.pessimisticprobabilityoutputfeaturename(), "pessimisticProbabilityOutputFeatureName");
        sampled_out_ = optional_output(bpr.sampledprobabilityoutputfeaturename(), "sampledProbabilityOutputFeatureName");
        for (const auto& d : interface().outputs()) {
            if (!d.type().has_doubletype() && !d.type().has_multiarraytype())
                invalid_model(origin_, "output '" + d.name() + "' must be a double or a multi-array");
            const std::string& n = d.name();
            if (probability_out_.empty() && n != mean_out_ && n != variance_out_ && n != pessimistic_out_ && n != sampled_out_)
                probability_out_ = n;
        }
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const Gaussian g = regression(inputs);
        const double sd = std::sqrt(g.variance);
        const double spread = std::sqrt(1.0 + g.variance);
        FeatureMap outputs;
        put(outputs, probability_out_, glm::probit(g.mean / spread));
        put(outputs, mean_out_, g.mean);
        put(outputs, variance_out_, g.variance);
        if (!pessimistic_out_.empty())
            put(outputs, pessimistic_out_, glm::probit((g.mean + number(inputs, optimism_in_, 0.0) * sd) / spread));
        if (!sampled_out_.empty())
            put(outputs, sampled_out_,
                glm::probit(g.mean + number(inputs, scale_in_, 1.0) * sd * standard_normal(number(inputs, truncation_in_, 0.0))));
        return outputs;
    }

private:
    Gaussian gaussian(const spec::BayesianProbitRegressor::Gaussian& g, const std::string& what) const {
        if (!(g.precision() > 0.0) || !std::isfinite(g.mean()))
            invalid_model(origin_, what + " must have a finite mean and a positive precision");
        return {g.mean(), 1.0 / g.precision()};
    }

    std::string optional_input(const std::string& name, const char* field) const {
        return name.empty() ? name : named_input(interface(), name, field, origin_).name();
    }
    std::string optional_output(const std::string& name, const char* field) const {
        return name.empty() ? name : named_output(interface(), name, field, origin_).name();
    }

    Gaussian regression(const FeatureMap& inputs) const {
        const auto* x = std::get_if<Tensor>(&input_value(inputs, x_in_, origin_));
        if (!x) invalid_input(origin_, "input '" + x_in_ + "' must be a multi-array");
        const std::vector<double> v = array_values(*x);
        Gaussian sum = bias_;
        auto add = [&](double feature, double value) {
            const auto id = static_cast<uint32_t>(exact_int64(feature, "a feature id in '" + x_in_ + "'", origin_));
            const auto val = static_cast<uint32_t>(exact_int64(value, "a feature value in '" + x_in_ + "'", origin_));
            auto it = weights_.find({id, val});
            if (it == weights_.end()) return;
            sum.mean += it->second.mean;
            sum.variance += it->second.variance;
        };
        if (x->rank() == 2 && x->dim(1) == 2) {
            for (size_t r = 0; r + 1 < v.size(); r += 2) add(v[r], v[r + 1]);
        } else {
            for (size_t i = 0; i < v.size(); ++i) add(static_cast<double>(i), v[i]);
        }
        return sum;
    }

    double number(const FeatureMap& inputs, const std::string& name, double fallback) const {
        if (name.empty()) return fallback;
        auto it = inputs.find(name);
        if (it == inputs.end()) return fallback;
        if (const auto* d = std::get_if<double>(&it->second)) return *d;
        if (const auto* t = std::get_if<Tensor>(&it->second); t && t->numel() == 1) return array_values(*t)[0];
        invalid_input(origin_, "input '" + name + "' must be a number");
    }

    static double standard_normal(double truncation) {
        thread_local std::mt19937_64 engine{std::random_device{}()};
        std::normal_distribution<double> normal;
        if (!(truncation > 0.0)) return normal(engine);
        // Rejection is fast for any useful truncation; the clamp bounds the rare long tail.
        for (int tries = 0; tries < 1000; ++tries) {
            const double z = normal(engine);
            if (std::fabs(z) <= truncation) return z;
        }
        return 0.0;
    }

    void put(FeatureMap& outputs, const std::string& name, double value) const {
        if (name.empty()) return;
        const auto* d = interface().find_output(name);
        if (d->type().has_multiarraytype()) outputs[name] = make_array({value}, output_shape(*d, 1), declared_dtype(*d));
        else outputs[name] = value;
    }

    std::string origin_;
    Gaussian bias_;
    std::map<std::pair<uint32_t, uint32_t>, Gaussian> weights_;
    std::string x_in_, optimism_in_, scale_in_, truncation_in_;
    std::string probability_out_, mean_out_, variance_out_, pessimistic_out_, sampled_out_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<BayesianProbitRegressor>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kBayesianProbitRegressor, "bayesianProbitRegressor", make)

}  // namespace opencoreml::models::transformers
