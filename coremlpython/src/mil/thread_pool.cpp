// opencoreml runtime: fixed-size thread pool with a chunked parallel_for.
#include "mil/thread_pool.hpp"

#include <algorithm>

namespace opencoreml::mil {

ThreadPool::ThreadPool(int num_threads) {
    int n = num_threads > 0 ? num_threads : static_cast<int>(std::thread::hardware_concurrency());
    n = std::max(1, n);
    for (int i = 1; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
}

void ThreadPool::worker_loop() {
    uint64_t seen = 0;
    for (;;) {
        const std::function<void(int64_t, int64_t)>* job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
            job = job_;
        }
        for (;;) {
            int64_t begin, end;
            {
                // A worker that woke late must not take chunks of a newer job with the old
                // function: only chunks of the generation it saw are its to run.
                std::lock_guard<std::mutex> lock(mutex_);
                if (generation_ != seen || next_chunk_ >= chunks_) break;
                const int64_t chunk = next_chunk_++;
                begin = chunk * chunk_;
                end = std::min(job_n_, begin + chunk_);
            }
            (*job)(begin, end);
            std::lock_guard<std::mutex> lock(mutex_);
            if (++finished_ == chunks_) done_.notify_all();
        }
    }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    grain = std::max<int64_t>(1, grain);
    // Inline when the work is small, the pool has no workers, or another thread's predict is
    // already using the pool (concurrent predicts then each use their own thread).
    if (workers_.empty() || n < 2 * grain || !call_mutex_.try_lock()) {
        fn(0, n);
        return;
    }
    std::lock_guard<std::mutex> call(call_mutex_, std::adopt_lock);
    const int64_t max_chunks = static_cast<int64_t>(size()) * 4;
    const int64_t chunks = std::min(max_chunks, (n + grain - 1) / grain);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = &fn;
        job_n_ = n;
        chunk_ = (n + chunks - 1) / chunks;
        chunks_ = (n + chunk_ - 1) / chunk_;
        next_chunk_ = 0;
        finished_ = 0;
        ++generation_;
    }
    wake_.notify_all();
    for (;;) {  // the caller works too
        int64_t chunk;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (next_chunk_ >= chunks_) break;
            chunk = next_chunk_++;
        }
        const int64_t begin = chunk * chunk_, end = std::min(n, begin + chunk_);
        fn(begin, end);
        std::lock_guard<std::mutex> lock(mutex_);
        if (++finished_ == chunks_) done_.notify_all();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return finished_ == chunks_; });
}

}  // namespace opencoreml::mil
