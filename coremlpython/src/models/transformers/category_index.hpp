// opencoreml transformers: the position of each category in a string or int64 vocabulary
// (oneHotEncoder categories, dictVectorizer keys), looked up in constant time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "Model.pb.h"

namespace opencoreml::models::transformers {

class CategoryIndex {
public:
    CategoryIndex() = default;
    // The first occurrence of a repeated category keeps its position.
    explicit CategoryIndex(const CoreML::Specification::StringVector& strings);
    explicit CategoryIndex(const CoreML::Specification::Int64Vector& ints);

    bool string_keys() const { return string_keys_; }
    int64_t size() const { return size_; }
    std::optional<int64_t> find(const std::string& key) const;
    std::optional<int64_t> find(int64_t key) const;

private:
    bool string_keys_ = true;
    int64_t size_ = 0;
    std::unordered_map<std::string, int64_t> strings_;
    std::unordered_map<int64_t, int64_t> ints_;
};

}  // namespace opencoreml::models::transformers
