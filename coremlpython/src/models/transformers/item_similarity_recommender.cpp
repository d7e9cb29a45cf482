// opencoreml transformers: the itemSimilarityRecommender model kind. The caller's items
// come as a dictionary {item: rating} or as a list of items (each rated 1). Every observed
// item i with rating r adds similarity(i, k) * (r - adjustment_i) to the score of each item
// k listed as similar to it (adjustment_i is i's itemScoreAdjustment: a bias taken off the
// rating of i). Candidates are all items minus the excluded ones (the exclusion input, else
// the observed items), limited to the restriction input when given; the best
// numRecommendations of them (all by default) come out best first, ties in item order.
// Items are positions 0..n-1, shown to callers through itemInt64Ids or itemStringIds.
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <unordered_map>

#include "models/transformers/transformer_io.hpp"

namespace opencoreml::models::transformers {

namespace {

struct Link {
    size_t item;
    double similarity;
};

class ItemSimilarityRecommender final : public Predictor {
public:
    explicit ItemSimilarityRecommender(const LoadContext& ctx)
        : Predictor(interface_of(ctx)), origin_(origin_of(ctx, "itemSimilarityRecommender")) {
        const auto& isr = ctx.spec.itemsimilarityrecommender();
        load_item_ids(isr);
        links_.resize(item_count_);
        adjustment_.assign(item_count_, 0.0);
        for (const auto& similar : isr.itemitemsimilarities()) {
            const size_t i = checked_item(similar.itemid());
            adjustment_[i] = similar.itemscoreadjustment();
            for (const auto& link : similar.similaritemlist()) links_[i].push_back({checked_item(link.itemid()), link.similarityscore()});
        }

        items_in_ = isr.iteminputfeaturename();
        if (items_in_.empty() && interface().inputs().size() == 1) items_in_ = interface().inputs().front().name();
        const auto& items = named_input(interface(), items_in_, "itemInputFeatureName", origin_);
        const auto& t = items.type();
        if (t.has_dictionarytype() ? t.dictionarytype().has_stringkeytype() != string_ids_ : !(t.has_sequencetype() || t.has_multiarraytype()))
            invalid_model(origin_, "the item input '" + items_in_ + "' must be a dictionary keyed by " + (string_ids_ ? "string" : "int64") +
                                       " item ids, a sequence of item ids or a multi-array of item ids");
        count_in_ = optional_input(isr.numrecommendationsinputfeaturename(), "numRecommendationsInputFeatureName");
        exclusion_in_ = optional_input(isr.itemexclusioninputfeaturename(), "itemExclusionInputFeatureName");
        restriction_in_ = optional_input(isr.itemrestrictioninputfeaturename(), "itemRestrictionInputFeatureName");
        if (!isr.recommendeditemlistoutputfeaturename().empty())
            list_out_ = named_output(interface(), isr.recommendeditemlistoutputfeaturename(), "recommendedItemListOutputFeatureName", origin_).name();
        if (!isr.recommendeditemscoreoutputfeaturename().empty())
            scores_out_ = named_output(interface(), isr.recommendeditemscoreoutputfeaturename(), "recommendedItemScoreOutputFeatureName", origin_).name();
        if (list_out_.empty() && scores_out_.empty())
            invalid_model(origin_, "neither recommendedItemListOutputFeatureName nor recommendedItemScoreOutputFeatureName is set");
    }

    FeatureMap run(const FeatureMap& inputs, State*) const override {
        std::vector<std::pair<size_t, double>> observed;
        read_items(input_value(inputs, items_in_, origin_), items_in_, observed);

        std::vector<double> score(item_count_, 0.0);
        for (const auto& [i, rating] : observed)
            for (const Link& link : links_[i]) score[link.item] += link.similarity * (rating - adjustment_[i]);

        std::vector<char> candidate(item_count_, 1);
        if (const FeatureValue* exclusion = present(inputs, exclusion_in_)) {
            for (const auto& [i, unused] : listed(*exclusion, exclusion_in_)) candidate[i] = 0;
        } else {
            for (const auto& [i, unused] : observed) candidate[i] = 0;
        }
        if (const FeatureValue* restriction = present(inputs, restriction_in_)) {
            std::vector<char> allowed(item_count_, 0);
            for (const auto& [i, unused] : listed(*restriction, restriction_in_)) allowed[i] = 1;
            for (size_t i = 0; i < item_count_; ++i) candidate[i] = candidate[i] && allowed[i];
        }
        std::vector<size_t> ranked;
        for (size_t i = 0; i < item_count_; ++i)
            if (candidate[i]) ranked.push_back(i);
        std::stable_sort(ranked.begin(), ranked.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
        if (const FeatureValue* count = present(inputs, count_in_)) {
            const auto* k = std::get_if<int64_t>(count);
            if (!k || *k < 0) invalid_input(origin_, "input '" + count_in_ + "' must be a non-negative integer");
            if (static_cast<uint64_t>(*k) < ranked.size()) ranked.resize(static_cast<size_t>(*k));
        }
        return outputs(ranked, score);
    }

private:
    void load_item_ids(const spec::ItemSimilarityRecommender& isr) {
        uint64_t largest = 0;
        bool any = false;
        for (const auto& similar : isr.itemitemsimilarities()) {
            largest = std::max<uint64_t>(largest, similar.itemid());
            any = true;
            for (const auto& link : similar.similaritemlist()) largest = std::max<uint64_t>(largest, link.itemid());
        }
        const int ints = isr.itemint64ids().vector_size(), strings = isr.itemstringids().vector_size();
        if (ints > 0 && strings > 0) invalid_model(origin_, "itemInt64Ids and itemStringIds are both set; give one of them");
        string_ids_ = strings > 0;
        if (ints > 0) {
            item_count_ = static_cast<size_t>(ints);
            for (int64_t id : isr.itemint64ids().vector()) {
                if (!int_index_.emplace(id, int_ids_.size()).second) invalid_model(origin_, "itemInt64Ids repeats the id " + std::to_string(id));
                int_ids_.push_back(id);
            }
        } else if (strings > 0) {
            item_count_ = static_cast<size_t>(strings);
            for (const std::string& id : isr.itemstringids().vector()) {
                if (!string_index_.emplace(id, string_ids_list_.size()).second) invalid_model(origin_, "itemStringIds repeats the id '" + id + "'");
                string_ids_list_.push_back(id);
            }
        } else {
            item_count_ = any ? static_cast<size_t>(largest) + 1 : 0;
            for (size_t i = 0; i < item_count_; ++i) int_ids_.push_back(static_cast<int64_t>(i));
            for (size_t i = 0; i < item_count_; ++i) int_index_.emplace(static_cast<int64_t>(i), i);
        }
    }

    size_t checked_item(uint64_t item) const {
        if (item >= item_count_)
            invalid_model(origin_, "item " + std::to_string(item) + " is referenced but the model lists only " +
                                       std::to_string(item_count_) + " item ids");
        return static_cast<size_t>(item);
    }

    std::string optional_input(const std::string& name, const char* field) const {
        if (name.empty()) return name;
        return named_input(interface(), name, field, origin_).name();
    }

    static const FeatureValue* present(const FeatureMap& inputs, const std::string& name) {
        if (name.empty()) return nullptr;
        auto it = inputs.find(name);
        if (it == inputs.end() || std::holds_alternative<std::monostate>(it->second)) return nullptr;
        return &it->second;
    }

    std::optional<size_t> position(int64_t id) const {
        if (string_ids_) return std::nullopt;
        auto it = int_index_.find(id);
        return it == int_index_.end() ? std::nullopt : std::optional<size_t>(it->second);
    }

    std::optional<size_t> position(const std::string& id) const {
        auto it = string_index_.find(id);
        return it == string_index_.end() ? std::nullopt : std::optional<size_t>(it->second);
    }

    template <typename Id>
    void add(const Id& id, double rating, std::vector<std::pair<size_t, double>>& out) const {
        // Items the model has never seen carry no similarity information: they add nothing.
        if (auto i = position(id)) out.emplace_back(*i, rating);
    }

    // The items (and ratings: 1 for plain lists) of a dictionary, sequence or array input.
    void read_items(const FeatureValue& value, const std::string& name, std::vector<std::pair<size_t, double>>& out) const {
        if (const auto* d = std::get_if<StringDictionary>(&value)) {
            for (const auto& [id, r] : *d) add(id, r, out);
        } else if (const auto* d = std::get_if<Int64Dictionary>(&value)) {
            for (const auto& [id, r] : *d) add(id, r, out);
        } else if (const auto* s = std::get_if<StringSequence>(&value)) {
            for (const auto& id : *s) add(id, 1.0, out);
        } else if (const auto* s = std::get_if<Int64Sequence>(&value)) {
            for (int64_t id : *s) add(id, 1.0, out);
        } else if (const auto* t = std::get_if<Tensor>(&value)) {
            for (double id : array_values(*t)) add(exact_int64(id, "an item id in '" + name + "'", origin_), 1.0, out);
        } else {
            invalid_input(origin_, "input '" + name + "' must hold item ids, got " + feature_value_kind(value));
        }
    }

    std::vector<std::pair<size_t, double>> listed(const FeatureValue& value, const std::string& name) const {
        std::vector<std::pair<size_t, double>> out;
        read_items(value, name, out);
        return out;
    }

    FeatureMap outputs(const std::vector<size_t>& ranked, const std::vector<double>& score) const {
        FeatureMap out;
        if (string_ids_) {
            StringSequence list;
            StringDictionary scores;
            for (size_t i : ranked) {
                list.push_back(string_ids_list_[i]);
                scores[string_ids_list_[i]] = score[i];
            }
            if (!list_out_.empty()) out[list_out_] = std::move(list);
            if (!scores_out_.empty()) out[scores_out_] = std::move(scores);
        } else {
            Int64Sequence list;
            Int64Dictionary scores;
            for (size_t i : ranked) {
                list.push_back(int_ids_[i]);
                scores[int_ids_[i]] = score[i];
            }
            if (!list_out_.empty()) out[list_out_] = std::move(list);
            if (!scores_out_.empty()) out[scores_out_] = std::move(scores);
        }
        return out;
    }

    std::string origin_;
    size_t item_count_ = 0;
    bool string_ids_ = false;
    std::vector<int64_t> int_ids_;
    std::vector<std::string> string_ids_list_;
    std::unordered_map<int64_t, size_t> int_index_;
    std::unordered_map<std::string, size_t> string_index_;
    std::vector<std::vector<Link>> links_;
    std::vector<double> adjustment_;
    std::string items_in_, count_in_, exclusion_in_, restriction_in_;
    std::string list_out_, scores_out_;
};

std::unique_ptr<Predictor> make(const LoadContext& ctx) { return std::make_unique<ItemSimilarityRecommender>(ctx); }

}  // namespace

OCML_REGISTER_MODEL_KIND(CoreML::Specification::Model::kItemSimilarityRecommender, "itemSimilarityRecommender", make)

}  // namespace opencoreml::models::transformers
