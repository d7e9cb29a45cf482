// opencoreml runtime: fixed-size thread pool with a chunked parallel_for (see thread_pool.hpp).
#include "mil/thread_pool.hpp"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace opencoreml::mil {
namespace {

// How long an idle worker keeps polling for the next job before it sleeps: longer than the
// gap between two ops of a running model, short enough not to burn a core between predicts.
constexpr auto kSpinTime = std::chrono::microseconds(300);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// Set while a thread runs chunks of some pool's job: a parallel_for nested inside a chunk
// (a batch row whose ops are parallel too) then runs inline instead of waiting on a pool.
thread_local bool tls_in_job = false;

inline uint64_t pack(uint32_t generation, uint32_t chunk) { return (uint64_t(generation) << 32) | chunk; }

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
    int n = num_threads > 0 ? num_threads : static_cast<int>(std::thread::hardware_concurrency());
    n = std::max(1, n);
    for (int i = 1; i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
    stop_.store(true);
    {
        std::lock_guard<std::mutex> lock(sleep_mutex_);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
}

uint32_t ThreadPool::current_generation() const {
    return static_cast<uint32_t>(claim_.load() >> 32);  // seq_cst: see wait_for_job
}

bool ThreadPool::wait_for_job(uint32_t seen) {
    const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
    for (int i = 0;; ++i) {
        if (stop_.load(std::memory_order_relaxed)) return false;
        if (static_cast<uint32_t>(claim_.load(std::memory_order_acquire) >> 32) != seen) return true;
        cpu_relax();
        if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) break;
    }
    std::unique_lock<std::mutex> lock(sleep_mutex_);
    sleepers_.fetch_add(1);  // seq_cst: pairs with the caller's claim_ store, then sleepers load
    wake_.wait(lock, [&] { return stop_.load() || current_generation() != seen; });
    sleepers_.fetch_sub(1);
    return !stop_.load();
}

void ThreadPool::worker_loop() {
    uint32_t seen = 0;
    while (wait_for_job(seen)) {
        seen = current_generation();
        run_chunks(seen);
    }
}

void ThreadPool::run_chunks(uint32_t generation) {
    for (;;) {
        uint64_t claim = claim_.load(std::memory_order_acquire);
        int64_t begin = 0, end = 0;
        do {
            if (static_cast<uint32_t>(claim >> 32) != generation) return;
            const int64_t n = job_n_.load(std::memory_order_acquire);
            begin = static_cast<uint32_t>(claim);
            if (begin >= n) return;
            const int64_t div = job_div_.load(std::memory_order_relaxed);
            end = std::min(n, begin + std::max(job_min_.load(std::memory_order_relaxed), (n - begin + div - 1) / div));
        } while (!claim_.compare_exchange_weak(claim, pack(generation, static_cast<uint32_t>(end)), std::memory_order_acq_rel));
        // The claimed chunk keeps the job alive: its fields stay valid until it is finished.
        const bool was_in_job = tls_in_job;
        tls_in_job = true;
        try {
            (*job_fn_)(begin, end);
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex_);
            if (!error_) error_ = std::current_exception();
        }
        tls_in_job = was_in_job;
        finished_.fetch_add(end - begin, std::memory_order_acq_rel);
    }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    grain = std::max<int64_t>(1, grain);
    // Inline when the work is small, the pool has no workers, this thread is already running
    // a chunk, or another thread's predict is using the pool (concurrent predicts then each
    // use their own thread).
    if (workers_.empty() || n < 2 * grain || n >= (int64_t(1) << 32) || tls_in_job || !call_mutex_.try_lock()) {
        fn(0, n);
        return;
    }
    std::lock_guard<std::mutex> call(call_mutex_, std::adopt_lock);
    const uint32_t generation = current_generation() + 1;

    job_fn_ = &fn;
    error_ = nullptr;
    job_n_.store(n, std::memory_order_relaxed);
    // Chunks start at a share of the rest per thread halved and shrink to `grain` items (or
    // to n / (8 * threads), so small items do not mean hundreds of claims).
    job_div_.store(2 * static_cast<int64_t>(size()), std::memory_order_relaxed);
    job_min_.store(std::max(grain, n / (8 * static_cast<int64_t>(size()))), std::memory_order_relaxed);
    finished_.store(0, std::memory_order_relaxed);
    claim_.store(pack(generation, 0));  // publishes the job; seq_cst: see wait_for_job
    if (sleepers_.load() > 0) {
        { std::lock_guard<std::mutex> lock(sleep_mutex_); }
        wake_.notify_all();
    }
    run_chunks(generation);  // the caller works too
    for (int i = 0; finished_.load(std::memory_order_acquire) != n; ++i) {
        if (i < 4096) cpu_relax();
        else std::this_thread::yield();  // a worker was descheduled mid-chunk
    }
    if (error_) std::rethrow_exception(error_);  // a chunk's error, on the caller's thread
}

}  // namespace opencoreml::mil
