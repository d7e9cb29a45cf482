// opencoreml runtime: a small fixed-size thread pool for intra-op parallelism. parallel_for
// splits [0, n) into contiguous chunks of at least `grain` items; the calling thread works too.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace opencoreml::mil {

class ThreadPool {
public:
    explicit ThreadPool(int num_threads);  // 0 = hardware concurrency
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return static_cast<int>(workers_.size()) + 1; }
    // fn(begin, end) over chunks of [0, n); runs inline when n < 2 * grain or the pool has
    // one thread. Safe to call from several threads (calls are serialised per pool).
    void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

private:
    void worker_loop();

    std::vector<std::thread> workers_;
    std::mutex call_mutex_;  // one parallel_for at a time
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(int64_t, int64_t)>* job_ = nullptr;
    int64_t job_n_ = 0, chunk_ = 0, next_chunk_ = 0, chunks_ = 0, finished_ = 0;
    uint64_t generation_ = 0;
    bool stop_ = false;
};

}  // namespace opencoreml::mil
