// opencoreml tree ensembles: splitting a large batch of rows across threads.
#include "models/tree_ensemble/row_parallel.hpp"

#include <algorithm>
#include <thread>
#include <vector>

namespace opencoreml::models::trees {

namespace {

// Node visits a thread should have to make for it to be worth starting (~0.1-0.2 ms).
constexpr size_t kMinCostPerThread = 200000;

}  // namespace

void for_row_chunks(size_t n_rows, size_t cost_per_row, int num_threads, const std::function<void(size_t, size_t)>& fn) {
    size_t threads = num_threads > 0 ? static_cast<size_t>(num_threads) : std::max(1u, std::thread::hardware_concurrency());
    threads = std::min(threads, std::max<size_t>(1, n_rows * std::max<size_t>(cost_per_row, 1) / kMinCostPerThread));
    threads = std::min(threads, std::max<size_t>(n_rows, 1));
    if (threads <= 1) {
        if (n_rows) fn(0, n_rows);
        return;
    }
    const size_t chunk = (n_rows + threads - 1) / threads;
    std::vector<std::thread> workers;
    workers.reserve(threads - 1);
    for (size_t t = 1; t < threads; ++t) {
        const size_t begin = t * chunk, end = std::min(n_rows, begin + chunk);
        if (begin < end) workers.emplace_back(fn, begin, end);
    }
    fn(0, std::min(n_rows, chunk));
    for (auto& w : workers) w.join();
}

}  // namespace opencoreml::models::trees
