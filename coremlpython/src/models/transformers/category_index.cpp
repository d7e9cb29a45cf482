// opencoreml transformers: building and querying a category vocabulary.
#include "models/transformers/category_index.hpp"

namespace opencoreml::models::transformers {

CategoryIndex::CategoryIndex(const CoreML::Specification::StringVector& strings)
    : string_keys_(true), size_(strings.vector_size()) {
    for (int i = 0; i < strings.vector_size(); ++i) strings_.emplace(strings.vector(i), i);
}

CategoryIndex::CategoryIndex(const CoreML::Specification::Int64Vector& ints) : string_keys_(false), size_(ints.vector_size()) {
    for (int i = 0; i < ints.vector_size(); ++i) ints_.emplace(ints.vector(i), i);
}

std::optional<int64_t> CategoryIndex::find(const std::string& key) const {
    auto it = strings_.find(key);
    if (it == strings_.end()) return std::nullopt;
    return it->second;
}

std::optional<int64_t> CategoryIndex::find(int64_t key) const {
    auto it = ints_.find(key);
    if (it == ints_.end()) return std::nullopt;
    return it->second;
}

}  // namespace opencoreml::models::transformers
