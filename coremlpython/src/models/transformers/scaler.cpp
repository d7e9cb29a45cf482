// opencoreml transformers: the scaler model kind — f(x) = scaleValue * (x + shiftValue),
// element-wise, with one shift/scale for every element or one per element (missing shift 0,
// missing scale 1). An int64 output must come out integral: a lossy cast is an error.
#include <memory>

#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

class Scaler final : public Predictor {
public:
    explicit Scaler(const LoadContext& ctx) : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "scaler")) {
        const auto& params = ctx.spec.scaler();
        shift_.assign(params.shiftvalue().begin(), params.shiftvalue().end());
        scale_.assign(params.scalevalue().begin(), params.scalevalue().end());
        const auto& input = sole_input(interface(), origin_);
        const auto& output = sole_output(interface(), origin_);
        input_name_ = input.name();
        output_name_ = output.name();
        const auto& in = input.type();
        const auto& out = output.type();
        if (!in.has_int64type() && !in.has_doubletype() && !in.has_multiarraytype())
            invalid_model(origin_, "the input '" + input_name_ + "' must be an int64, a double or a multi-array");
        if (in.has_multiarraytype() != out.has_multiarraytype() || !(out.has_int64type() || out.has_doubletype() || out.has_multiarraytype()))
            invalid_model(origin_, "the output '" + output_name_ + "' must be a multi-array for a multi-array input, else an int64 or a double");
        int64_output_ = out.has_int64type();
        if (out.has_multiarraytype()) {
            dtype_ = declared_dtype(output);
            const auto& shape = in.multiarraytype().shape();
            if (!shape.empty() && !in.multiarraytype().has_shaperange() && !in.multiarraytype().has_enumeratedshapes())
                check_sizes(shape_numel(Shape(shape.begin(), shape.end())), ErrorCode::InvalidModel);
        } else {
            check_sizes(1, ErrorCode::InvalidModel);
        }
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        const FeatureValue& value = input_value(inputs, input_name_, origin_);
        FeatureMap outputs;
        if (const auto* t = std::get_if<Tensor>(&value)) {
            std::vector<double> x = array_values(*t);
            check_sizes(static_cast<int64_t>(x.size()), ErrorCode::InvalidArgument);
            for (size_t i = 0; i < x.size(); ++i) x[i] = apply(x[i], i);
            outputs[output_name_] = make_array(x, t->shape(), dtype_);
            return outputs;
        }
        double x = 0;
        if (const auto* i = std::get_if<int64_t>(&value)) x = static_cast<double>(*i);
        else if (const auto* d = std::get_if<double>(&value)) x = *d;
        else invalid_input(origin_, "input '" + input_name_ + "' must be a number, got " + feature_value_kind(value));
        const double y = apply(x, 0);
        if (int64_output_) outputs[output_name_] = exact_int64(y, "the scaled value of '" + input_name_ + "'", origin_);
        else outputs[output_name_] = y;
        return outputs;
    }

private:
    void check_sizes(int64_t count, ErrorCode code) const {
        for (const auto* values : {&shift_, &scale_}) {
            const auto n = static_cast<int64_t>(values->size());
            if (n > 1 && n != count)
                throw Error(code, origin_ + ": " + (values == &shift_ ? "shiftValue" : "scaleValue") + " has " + std::to_string(n) +
                                      " values but the input '" + input_name_ + "' has " + std::to_string(count) +
                                      " element(s); give none, one, or one per element");
        }
    }

    static double pick(const std::vector<double>& values, size_t i, double fallback) {
        if (values.empty()) return fallback;
        return values.size() == 1 ? values[0] : values[i];
    }

    double apply(double x, size_t i) const { return pick(scale_, i, 1.0) * (x + pick(shift_, i, 0.0)); }

    std::string origin_;
    std::vector<double> shift_;
    std::vector<double> scale_;
    std::string input_name_;
    std::string output_name_;
    bool int64_output_ = false;
    DType dtype_ = DType::Float64;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<Scaler>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kScaler, "scaler", make)

}  // namespace opencoreml::models::transformers
