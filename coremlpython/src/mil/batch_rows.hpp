// opencoreml ML programs: batch prediction for the engine's predictors. Core ML models
// usually have a fixed batch dimension of 1, so a batch is many independent predictions;
// they run as rows spread over the model's thread pool (each row's own ops then run on its
// thread), which uses every core even when single ops are too small to split well.
#pragma once

#include <vector>

#include "mil/thread_pool.hpp"
#include "opencoreml/feature_value.hpp"

namespace opencoreml::mil {

template <typename RunRow>
std::vector<FeatureMap> run_rows(ThreadPool& pool, const std::vector<FeatureMap>& batch, RunRow run_row) {
    std::vector<FeatureMap> out(batch.size());
    pool.parallel_for(static_cast<int64_t>(batch.size()), 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) out[static_cast<size_t>(r)] = run_row(batch[static_cast<size_t>(r)]);
    });
    return out;
}

}  // namespace opencoreml::mil
