// opencoreml tree ensembles: rows in, transformed scores out (see ensemble_scorer.hpp).
#include "models/tree_ensemble/ensemble_scorer.hpp"

#include <algorithm>

#include "Model.pb.h"
#include "models/common/classic_io.hpp"
#include "models/tree_ensemble/row_parallel.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml::models::trees {

namespace spec = CoreML::Specification;

namespace {

// Values the inputs contribute to a row, or 0 when a flexible multi-array makes it unknown
// until predict time. Non-numeric inputs cannot feed a tree.
size_t declared_row_width(const ModelInterface& interface, const std::string& origin) {
    size_t width = 0;
    for (const auto& d : interface.inputs()) {
        const auto& type = d.type();
        if (type.has_int64type() || type.has_doubletype()) {
            ++width;
        } else if (type.has_multiarraytype()) {
            const auto& array = type.multiarraytype();
            if (array.shape_size() == 0 || array.has_shaperange() || array.has_enumeratedshapes()) return 0;
            size_t n = 1;
            for (int64_t dim : array.shape()) n *= static_cast<size_t>(std::max<int64_t>(dim, 0));
            width += n;
        } else {
            throw Error(ErrorCode::InvalidModel, origin + ": tree ensemble input '" + d.name() +
                                                     "' must be an int64, a double or a multi-array");
        }
    }
    return width;
}

size_t tree_steps(const CompiledForest& f) {
    size_t steps = 0;
    for (const auto& t : f.trees) steps += t.depth + 1;
    return steps;
}

}  // namespace

EnsembleScorer::EnsembleScorer(const spec::TreeEnsembleParameters& params, int post_transform,
                               const ModelInterface& interface, int num_threads, const std::string& origin)
    : forest_(compile_forest(params, declared_row_width(interface, origin), origin)),
      transform_(checked_post_transform(post_transform, origin)),
      num_threads_(num_threads),
      origin_(origin) {}

void EnsembleScorer::check_width(size_t width) const {
    if (width < forest_.min_row_width)
        throw Error(ErrorCode::InvalidArgument, origin_ + ": the inputs give " + std::to_string(width) +
                                                    " values but the trees read feature index " +
                                                    std::to_string(forest_.min_row_width - 1));
}

void EnsembleScorer::score_rows(const double* rows, size_t n_rows, size_t width, double* scores) const {
    const size_t dims = forest_.dimensions;
    for_row_chunks(n_rows, tree_steps(forest_), num_threads_, [&](size_t begin, size_t end) {
        for (size_t r = begin; r < end; ++r) std::copy(forest_.base.begin(), forest_.base.end(), scores + r * dims);
        accumulate_scores(forest_, rows + begin * width, end - begin, width, scores + begin * dims);
        for (size_t r = begin; r < end; ++r) apply_post_transform(transform_, scores + r * dims, dims);
    });
}

std::vector<double> EnsembleScorer::score(const ModelInterface& interface, const FeatureMap& inputs) const {
    const std::vector<double> row = gather_numeric_row(interface, inputs);
    check_width(row.size());
    std::vector<double> scores(forest_.dimensions);
    score_rows(row.data(), 1, row.size(), scores.data());
    return scores;
}

std::vector<double> EnsembleScorer::score_batch(const ModelInterface& interface, const std::vector<FeatureMap>& batch) const {
    const size_t dims = forest_.dimensions;
    std::vector<double> scores(batch.size() * dims);
    if (batch.empty()) return scores;
    std::vector<double> rows = gather_numeric_row(interface, batch[0]);
    const size_t width = rows.size();
    rows.reserve(width * batch.size());
    for (size_t i = 1; i < batch.size(); ++i) {
        const std::vector<double> row = gather_numeric_row(interface, batch[i]);
        if (row.size() != width) {
            // Flexible inputs of different sizes: no common row layout, score one by one.
            for (size_t j = 0; j < batch.size(); ++j) {
                const std::vector<double> s = score(interface, batch[j]);
                std::copy(s.begin(), s.end(), scores.begin() + static_cast<std::ptrdiff_t>(j * dims));
            }
            return scores;
        }
        rows.insert(rows.end(), row.begin(), row.end());
    }
    check_width(width);
    score_rows(rows.data(), batch.size(), width, scores.data());
    return scores;
}

}  // namespace opencoreml::models::trees
