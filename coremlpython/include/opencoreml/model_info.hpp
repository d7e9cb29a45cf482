// opencoreml: a human-readable summary of a loaded model — kind, spec version, interface,
// metadata, op/layer histogram and weight blobs. Used by the CLI and by C++ embedders.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "opencoreml/model_file.hpp"

namespace opencoreml {

struct FeatureSummary {
    std::string name;
    std::string type;         // e.g. "MultiArray (Float32, 1 x 3 x 32 x 32)"
    std::string description;
    bool optional = false;
};

struct WeightBlobSummary {
    std::string file;         // path of the weight file
    uint64_t offset = 0;      // metadata record offset (what BlobFileValue.offset stores)
    std::string dtype;        // "float16", "uint4", ...
    uint64_t size_in_bytes = 0;
    uint64_t element_count = 0;
};

struct ModelSummary {
    std::string path;
    std::string kind;                       // the Model.Type oneof name, e.g. "mlProgram"
    int specification_version = 0;
    std::vector<std::string> functions;     // ML programs: function names (default first)
    std::map<std::string, std::vector<FeatureSummary>> interface;  // "inputs", "outputs", "states"
    std::map<std::string, std::string> metadata;                  // author, license, ... and user keys
    std::map<std::string, int64_t> op_counts;                     // MIL op types or NN layer kinds
    std::vector<WeightBlobSummary> weights;
    uint64_t weight_bytes = 0;
};

ModelSummary summarize(const ModelFile& model);

// The multi-line text `opencoreml info` prints.
std::string to_text(const ModelSummary& summary);

// Name of a spec's model kind (the Model.Type oneof field), e.g. "neuralNetworkClassifier".
std::string model_kind_name(const CoreML::Specification::Model& spec);

}  // namespace opencoreml
