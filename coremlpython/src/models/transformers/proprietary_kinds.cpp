// opencoreml transformers: model kinds whose computation is not in the model file — Apple's
// embedded models (text, vision and sound features, gazetteers, word embeddings, private
// serialized models) and custom models, which run code the app supplies. Their files load,
// save and describe like any other; building a predictor for one reports why it cannot run.
#include "Model.pb.h"
#include "opencoreml/predictor.hpp"

namespace opencoreml::models::transformers {

namespace {

namespace spec = CoreML::Specification;

PredictorFactory refuse(const char* kind, const char* reason) {
    return [kind, reason](const LoadContext& ctx) -> std::unique_ptr<Predictor> {
        std::string why = reason;
        if (ctx.spec.has_custommodel() && !ctx.spec.custommodel().classname().empty())
            why += " (class '" + ctx.spec.custommodel().classname() + "')";
        throw Error(ErrorCode::NotImplemented, ctx.origin + ": a " + kind + " model " + why +
                                                   "; only Apple's Core ML framework can run it, so opencoreml cannot predict with it");
    };
}

constexpr const char* kEmbedded = "runs Apple's proprietary embedded model";

const bool registered = [] {
    const struct {
        spec::Model::TypeCase type;
        const char* kind;
        const char* reason;
    } kinds[] = {
        {spec::Model::kCustomModel, "customModel", "runs code the app supplies through MLCustomModel"},
        {spec::Model::kTextClassifier, "textClassifier", kEmbedded},
        {spec::Model::kWordTagger, "wordTagger", kEmbedded},
        {spec::Model::kVisionFeaturePrint, "visionFeaturePrint", kEmbedded},
        {spec::Model::kSoundAnalysisPreprocessing, "soundAnalysisPreprocessing", kEmbedded},
        {spec::Model::kGazetteer, "gazetteer", kEmbedded},
        {spec::Model::kWordEmbedding, "wordEmbedding", kEmbedded},
        {spec::Model::kAudioFeaturePrint, "audioFeaturePrint", kEmbedded},
        {spec::Model::kSerializedModel, "serializedModel", "holds a private, serialized model that only Apple can read"},
    };
    for (const auto& k : kinds) register_model_kind(static_cast<int>(k.type), k.kind, refuse(k.kind, k.reason));
    return true;
}();

}  // namespace

}  // namespace opencoreml::models::transformers
