// opencoreml ML programs: the Predictor for `mlProgram` models — binds features (arrays,
// images, states) to the function's inputs, runs it, and shapes the outputs the way the
// model description declares them (arrays, images, class labels, dictionaries).
#include <cstring>

#include "Model.pb.h"
#include "mil/batch_rows.hpp"
#include "mil/buffer_pool.hpp"
#include "mil/executor.hpp"
#include "mil/program.hpp"
#include "mil/thread_pool.hpp"
#include "opencoreml/predictor.hpp"
#include "runtime/array_types.hpp"

namespace opencoreml::mil {

namespace spec = CoreML::Specification;

namespace {

class ProgramState final : public State {
public:
    std::vector<std::string> names() const override {
        std::vector<std::string> out;
        for (const auto& [name, t] : tensors) out.push_back(name);
        return out;
    }
    Tensor read(const std::string& name) const override { return find(name); }
    void write(const std::string& name, const Tensor& value) override {
        Tensor& slot = find(name);
        if (value.shape() != slot.shape())
            throw Error(ErrorCode::InvalidArgument, "state '" + name + "' has shape " + shape_to_string(slot.shape()) +
                                                        ", got " + shape_to_string(value.shape()));
        const Tensor converted = value.to(slot.dtype());
        std::memcpy(slot.raw(), converted.raw(), slot.nbytes());
    }
    std::map<std::string, Tensor> tensors;

private:
    Tensor& find(const std::string& name) const {
        auto it = tensors.find(name);
        if (it == tensors.end()) throw Error(ErrorCode::InvalidArgument, "the model has no state named '" + name + "'");
        return const_cast<Tensor&>(it->second);
    }
};

// Pixels (H, W, C) uint8 -> (1, C', H, W) in the program's dtype, channels in the model's order.
Tensor image_to_tensor(const ImageValue& image, const spec::ImageFeatureType& type, DType dtype) {
    const int64_t h = image.height(), w = image.width(), c = image.channels();
    if (type.colorspace() == spec::ImageFeatureType::GRAYSCALE_FLOAT16) {
        return image.pixels.reshaped({1, 1, h, w}).to(dtype);
    }
    const bool gray = type.colorspace() == spec::ImageFeatureType::GRAYSCALE;
    const bool bgr = type.colorspace() == spec::ImageFeatureType::BGR;
    const int64_t out_c = gray ? 1 : 3;
    Tensor f = Tensor::empty(DType::Float32, {1, out_c, h, w});
    const uint8_t* src = image.pixels.data<uint8_t>();
    float* dst = f.data<float>();
    for (int64_t ch = 0; ch < out_c; ++ch) {
        const int64_t src_ch = gray ? 0 : (bgr ? 2 - ch : ch);
        float* plane = dst + ch * h * w;
        for (int64_t i = 0; i < h * w; ++i) plane[i] = static_cast<float>(src[i * c + src_ch]);
    }
    return f.to(dtype);
}

ImageValue tensor_to_image(const Tensor& t, const spec::ImageFeatureType& type) {
    const int64_t h = t.dim(-2), w = t.dim(-1);
    if (type.colorspace() == spec::ImageFeatureType::GRAYSCALE_FLOAT16) return ImageValue{t.to(DType::Float32).reshaped({h, w})};
    const Tensor f = t.to(DType::Float32);
    const bool gray = type.colorspace() == spec::ImageFeatureType::GRAYSCALE;
    const bool bgr = type.colorspace() == spec::ImageFeatureType::BGR;
    const int64_t c = gray ? 1 : 3;
    Tensor pixels = Tensor::empty(DType::UInt8, {h, w, c});
    uint8_t* dst = pixels.data<uint8_t>();
    const float* src = f.data<float>();
    for (int64_t ch = 0; ch < c; ++ch) {
        const float* plane = src + (gray ? 0 : (bgr ? 2 - ch : ch)) * h * w;
        for (int64_t i = 0; i < h * w; ++i) {
            const float v = plane[i] < 0.f ? 0.f : (plane[i] > 255.f ? 255.f : plane[i]);
            dst[i * c + ch] = static_cast<uint8_t>(v + 0.5f);
        }
    }
    return ImageValue{pixels};
}

FeatureValue to_feature(const RtValue& value, const spec::FeatureType& type, const std::string& name, const std::string& origin) {
    auto fail = [&](const std::string& what) -> FeatureValue {
        throw Error(ErrorCode::InvalidModel, origin + ": output '" + name + "' " + what);
    };
    if (const auto* s = std::get_if<std::string>(&value)) return *s;
    if (const auto* d = std::get_if<StringDictionary>(&value)) return *d;
    if (const auto* d = std::get_if<Int64Dictionary>(&value)) return *d;
    const Tensor* t = std::get_if<Tensor>(&value);
    if (!t) return fail("was not produced by the program");
    switch (type.Type_case()) {
        case spec::FeatureType::kMultiArrayType: {
            const DType want = array_feature_dtype(type.multiarraytype().datatype());
            return t->dtype() == want ? *t : t->to(want);
        }
        case spec::FeatureType::kImageType: return tensor_to_image(*t, type.imagetype());
        case spec::FeatureType::kDoubleType: return t->to(DType::Float64).data<double>()[0];
        case spec::FeatureType::kInt64Type: return t->to(DType::Int64).data<int64_t>()[0];
        default: return *t;
    }
}

class MlProgramPredictor final : public Predictor {
public:
    MlProgramPredictor(const LoadContext& ctx, ModelInterface interface)
        : Predictor(std::move(interface)), origin_(ctx.origin), pool_(BufferPool::create()),
          threads_(std::make_unique<ThreadPool>(ctx.options.num_threads)) {
        const auto& desc = ctx.spec.description();
        std::string function = ctx.options.function_name;
        if (function.empty()) function = desc.defaultfunctionname().empty() ? "main" : desc.defaultfunctionname();
        fn_ = load_function(ProgramSource{&ctx.spec.mlprogram(), function, ctx.model_dir, ctx.origin, ctx.options.num_threads},
                            *threads_, pool_);
        for (const auto& [name, id] : fn_->inputs) {
            const InputInfo& info = fn_->values[static_cast<size_t>(id)].info;
            if (info.is_state) stateful_ = true;
            else if (!this->interface().find_input(name))
                throw Error(ErrorCode::InvalidModel, origin_ + ": function input '" + name + "' is not described in the model");
        }
        if (fn_->body.outputs.size() < this->interface().outputs().size())
            throw Error(ErrorCode::InvalidModel, origin_ + ": the function returns fewer values than the model describes");
    }

    bool is_stateful() const override { return stateful_; }

    std::unique_ptr<State> make_state() const override {
        if (!stateful_) return Predictor::make_state();
        auto state = std::make_unique<ProgramState>();
        for (const auto& [name, id] : fn_->inputs) {
            const InputInfo& info = fn_->values[static_cast<size_t>(id)].info;
            if (info.is_state) state->tensors[name] = Tensor::zeros(info.dtype, info.shape);
        }
        return state;
    }

    std::vector<FeatureMap> run_batch(const std::vector<FeatureMap>& batch) const override {
        return run_rows(*threads_, batch, [this](const FeatureMap& row) { return run(row, nullptr); });
    }

    FeatureMap run(const FeatureMap& inputs, State* state) const override {
        Frame frame(fn_->values.size());
        for (const auto& [name, id] : fn_->inputs) {
            const InputInfo& info = fn_->values[static_cast<size_t>(id)].info;
            RtValue& slot = frame.values[static_cast<size_t>(id)];
            if (info.is_state) {
                auto* ps = dynamic_cast<ProgramState*>(state);
                if (!ps) throw Error(ErrorCode::InvalidArgument, origin_ + ": the state passed to predict was not made by this model");
                slot = ps->read(name);  // shares storage: write_state updates the state in place
                continue;
            }
            auto it = inputs.find(name);
            if (it == inputs.end()) continue;  // optional input left out
            if (const auto* image = std::get_if<ImageValue>(&it->second)) {
                slot = image_to_tensor(*image, interface().find_input(name)->type().imagetype(), info.dtype);
            } else if (const auto* t = std::get_if<Tensor>(&it->second)) {
                slot = t->dtype() == info.dtype ? *t : t->to(info.dtype);
            } else {
                throw Error(ErrorCode::InvalidArgument, origin_ + ": input '" + name + "' must be a multi-array or an image");
            }
        }
        const ExecEnv env{*fn_, *pool_, *threads_, origin_, profiler_.get()};
        std::vector<RtValue> results = run_block(fn_->body, {}, frame, env);
        FeatureMap outputs;
        for (size_t i = 0; i < fn_->body.outputs.size(); ++i) {
            const std::string& name = fn_->values[static_cast<size_t>(fn_->body.outputs[i])].name;
            const auto* described = interface().find_output(name);
            if (!described) continue;
            outputs[name] = to_feature(results[i], described->type(), name, origin_);
        }
        return outputs;
    }

private:
    std::string origin_;
    std::shared_ptr<BufferPool> pool_;
    std::unique_ptr<ThreadPool> threads_;
    std::unique_ptr<LoadedFunction> fn_;
    std::unique_ptr<OpProfiler> profiler_ = OpProfiler::from_environment(origin_);
    bool stateful_ = false;
};

std::unique_ptr<Predictor> make_ml_program(const LoadContext& ctx) {
    return std::make_unique<MlProgramPredictor>(
        ctx, ModelInterface::from_description(ctx.spec.description(), ctx.options.function_name, ctx.origin));
}

}  // namespace

OCML_REGISTER_MODEL_KIND(spec::Model::kMlProgram, "mlProgram", make_ml_program)

}  // namespace opencoreml::mil

namespace opencoreml {

std::vector<std::string> supported_mil_ops() {
    std::vector<std::string> names;
    // nn_* ops are private to the neural-network front end, never valid in a saved program.
    for (auto& name : mil::registered_ops())
        if (name.rfind("nn_", 0) != 0) names.push_back(std::move(name));
    return names;
}

}  // namespace opencoreml
