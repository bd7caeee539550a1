// Opens an engine in the directory given, enrols a member, records a
// purchase and prints the balance: the smallest embedding, built against
// the installed package (find_package or pkg-config) by tests/install_test.sh.
#include <iostream>
#include <memory>

#include "absl/status/statusor.h"
#include "loyalty/clock.h"
#include "loyalty/commands.h"
#include "loyalty/engine.h"
#include "loyalty/views.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: app LEDGER_DIR\n";
    return 2;
  }
  loyalty::EngineOptions options;
  // Personal data is sealed under the master key (docs/privacy.md).
  options.master_key = loyalty::MasterKeyFromBytes(std::string(loyalty::kMasterKeyBytes, 'k'));
  auto engine = loyalty::Engine::Open(argv[1], options);
  if (!engine.ok()) {
    std::cerr << engine.status() << "\n";
    return 1;
  }
  const int64_t now_us = loyalty::DefaultClock()->NowMicros();

  loyalty::EnrolMember enrol;
  enrol.member_id = "M1";
  enrol.personal.mutable_plain()->set_name("Li Lei");
  enrol.occurred_at_us = now_us;
  enrol.actor_id = "consumer";
  auto enrolled = (*engine)->Execute(enrol);
  if (!enrolled.ok()) {
    std::cerr << enrolled.status() << "\n";
    return 1;
  }

  loyalty::RecordPurchase purchase;
  purchase.purchase_id = "P1";
  purchase.member_id = "M1";
  purchase.partner_id = "store-7";
  purchase.amount_fen = 12345;
  purchase.occurred_at_us = now_us;
  purchase.actor_id = "consumer";
  auto recorded = (*engine)->Execute(purchase);
  if (!recorded.ok()) {
    std::cerr << recorded.status() << "\n";
    return 1;
  }

  auto member = (*engine)->Member("M1", loyalty::AsOf::Now());
  if (!member.ok()) {
    std::cerr << member.status() << "\n";
    return 1;
  }
  std::cout << "M1 available_points=" << member->available_points
            << " tier=" << loyalty::v1::Tier_Name(member->tier)
            << " head=" << (*engine)->ledger().Head().sequence << "\n";
  return 0;
}
