#include "cli/import_order.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace loyalty::cli {

ImportOrder BusinessTimeOrder(absl::Span<const PurchaseRow> rows) {
  std::vector<size_t> by_time(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) by_time[i] = i;
  std::stable_sort(by_time.begin(), by_time.end(), [&](size_t a, size_t b) {
    return rows[a].occurred_at_us < rows[b].occurred_at_us;
  });

  // The place of each purchase in time order (the first, for a repeated id).
  absl::flat_hash_map<std::string, size_t> purchase_place;
  for (size_t place = 0; place < by_time.size(); ++place) {
    const PurchaseRow& row = rows[by_time[place]];
    if (row.refund_of.empty()) purchase_place.try_emplace(row.purchase_id, place);
  }
  // Refunds that come before their purchase wait for it, in time order.
  absl::flat_hash_map<size_t, std::vector<size_t>> waiting_for;
  ImportOrder order;
  order.indices.reserve(rows.size());
  for (size_t place = 0; place < by_time.size(); ++place) {
    const size_t index = by_time[place];
    const PurchaseRow& row = rows[index];
    if (!row.refund_of.empty()) {
      auto purchase = purchase_place.find(row.refund_of);
      if (purchase != purchase_place.end() && purchase->second > place) {
        waiting_for[purchase->second].push_back(index);
        continue;
      }
    }
    order.indices.push_back(index);
    if (auto waiting = waiting_for.find(place); waiting != waiting_for.end()) {
      order.indices.insert(order.indices.end(), waiting->second.begin(), waiting->second.end());
    }
  }
  for (size_t place = 0; place < order.indices.size(); ++place) {
    if (order.indices[place] != place) ++order.moved;
  }
  return order;
}

}  // namespace loyalty::cli
