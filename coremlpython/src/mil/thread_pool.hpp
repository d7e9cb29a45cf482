// opencoreml runtime: a small fixed-size thread pool for intra-op parallelism. parallel_for
// splits [0, n) into contiguous chunks of at least `grain` items; the calling thread works too.
//
// A model runs many short parallel ops back to back, so waking sleeping threads through the
// kernel for each one (tens of microseconds on a VM) would cost more than the ops gain. Workers
// therefore spin for a short while after each job before they sleep, and the caller spins
// while the last chunks finish.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
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
    // one thread. Safe to call from several threads: while one call uses the pool, the others
    // run their work inline on their own thread.
    void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

private:
    void worker_loop();
    bool wait_for_job(uint32_t seen);  // false when the pool stops
    uint32_t current_generation() const;  // of the newest job (0 before the first)
    // Claims and runs chunks of job `generation` until none is left (or a newer job began).
    void run_chunks(uint32_t generation);

    std::vector<std::thread> workers_;
    std::mutex call_mutex_;  // held by the one parallel_for using the workers

    // The current job. The function is written by the caller before it publishes the job's
    // generation and read by a worker only after it has claimed a chunk of that generation,
    // so a worker that woke late never runs a newer job's chunks with an older function.
    const std::function<void(int64_t, int64_t)>* job_fn_ = nullptr;
    // Claim counter: generation (high 32 bits; a new job bumps it, which is what idle
    // workers watch for) and the next unclaimed item (low 32 bits). Chunks shrink as the job
    // goes ("guided"): a claim at item i takes max(job_min_, (n - i) / job_div_) items, so a
    // job costs a few contended claims per thread yet ends with small chunks that balance.
    // The sizes are atomics because a claimer reads them before its claim succeeds.
    std::atomic<uint64_t> claim_{0};
    std::atomic<int64_t> job_n_{0}, job_min_{1}, job_div_{1}, finished_{0};

    std::mutex error_mutex_;
    std::exception_ptr error_;  // the first exception a chunk threw

    std::mutex sleep_mutex_;
    std::condition_variable wake_;
    std::atomic<int> sleepers_{0};
    std::atomic<bool> stop_{false};
};

}  // namespace opencoreml::mil
