// opencoreml ML programs: size-class buffer recycling for tensors.
#include "mil/buffer_pool.hpp"

#include <cstdlib>

namespace opencoreml::mil {

namespace {

// Rounds up to 64 bytes, then to 1/8 steps of the next power of two, so a buffer of one
// size serves nearby sizes without wasting more than ~12%.
size_t size_class(size_t bytes) {
    size_t n = (bytes + 63) / 64 * 64;
    if (n <= 1024) return n ? n : 64;
    size_t p = 1;
    while (p < n) p <<= 1;
    const size_t step = p / 16;
    return (n + step - 1) / step * step;
}

}  // namespace

BufferPool::~BufferPool() {
    for (auto& [size, blocks] : free_)
        for (void* b : blocks) std::free(b);
}

Tensor BufferPool::allocate(DType dtype, const Shape& shape) {
    const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
    const size_t cls = size_class(bytes);
    void* block = nullptr;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = free_.find(cls);
        if (it != free_.end() && !it->second.empty()) {
            block = it->second.back();
            it->second.pop_back();
        }
    }
    if (!block) {
        block = std::aligned_alloc(64, cls);
        if (!block) throw Error(ErrorCode::InvalidArgument, "out of memory allocating " + std::to_string(bytes) + " bytes");
    }
    std::shared_ptr<BufferPool> self = shared_from_this();
    std::shared_ptr<const void> owner(block, [self, cls](const void* p) { self->release(cls, const_cast<void*>(p)); });
    return Tensor::wrap(dtype, shape, block, std::move(owner));
}

void BufferPool::release(size_t cls, void* block) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_[cls].push_back(block);
}

}  // namespace opencoreml::mil
