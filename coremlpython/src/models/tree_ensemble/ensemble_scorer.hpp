// opencoreml tree ensembles: what the regressor and the classifier share — input rows
// gathered from the features, the compiled forest, the post-evaluation transform, and
// batch scoring across threads.
#pragma once

#include <string>
#include <vector>

#include "TreeEnsemble.pb.h"
#include "models/tree_ensemble/forest.hpp"
#include "models/tree_ensemble/post_transform.hpp"
#include "opencoreml/feature_value.hpp"
#include "opencoreml/predictor.hpp"

namespace opencoreml::models::trees {

class EnsembleScorer {
public:
    // Checks that every input is numeric and compiles the trees against the row the inputs
    // make (errors name `origin`). num_threads: threads for large batches, 0 = all cores.
    EnsembleScorer(const CoreML::Specification::TreeEnsembleParameters& params, int post_transform,
                   const ModelInterface& interface, int num_threads, const std::string& origin);

    size_t dimensions() const { return forest_.dimensions; }

    // Transformed scores of one input (dimensions() values).
    std::vector<double> score(const ModelInterface& interface, const FeatureMap& inputs) const;
    // Transformed scores of every input, row after row (batch.size() * dimensions() values).
    std::vector<double> score_batch(const ModelInterface& interface, const std::vector<FeatureMap>& batch) const;

private:
    void check_width(size_t width) const;
    void score_rows(const double* rows, size_t n_rows, size_t width, double* scores) const;

    CompiledForest forest_;
    PostTransform transform_;
    int num_threads_;
    std::string origin_;
};

}  // namespace opencoreml::models::trees
