// opencoreml tree ensembles: splitting a large batch of rows across threads. Small batches
// stay on the calling thread: starting a thread costs about as much as scoring a few
// thousand tree nodes.
#pragma once

#include <cstddef>
#include <functional>

namespace opencoreml::models::trees {

// Calls fn(begin, end) over consecutive chunks covering [0, n_rows), on up to `num_threads`
// threads (0 = one per core) when n_rows * cost_per_row is large enough to pay for them.
// fn must not throw.
void for_row_chunks(size_t n_rows, size_t cost_per_row, int num_threads, const std::function<void(size_t, size_t)>& fn);

}  // namespace opencoreml::models::trees
