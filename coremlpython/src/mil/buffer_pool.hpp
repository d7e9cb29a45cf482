// opencoreml ML programs: recycled tensor storage. Buffers are handed out by size class and
// return to the pool when the last Tensor using them goes away — also when that happens on
// another thread or after the predict that made them — so a steady stream of predicts stops
// allocating after the first call.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "opencoreml/tensor.hpp"

namespace opencoreml::mil {

class BufferPool : public std::enable_shared_from_this<BufferPool> {
public:
    static std::shared_ptr<BufferPool> create() { return std::shared_ptr<BufferPool>(new BufferPool()); }
    ~BufferPool();
    Tensor allocate(DType dtype, const Shape& shape);

private:
    BufferPool() = default;
    void release(size_t size_class, void* block);

    std::mutex mutex_;
    std::map<size_t, std::vector<void*>> free_;  // size class (bytes) -> free blocks
};

}  // namespace opencoreml::mil
