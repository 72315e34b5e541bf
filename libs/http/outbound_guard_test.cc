#include "libs/http/outbound_guard.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/http/client.h"
#include "libs/http/test_server.h"

namespace adcp::http {
namespace {

using test_support::Answer;
using test_support::SeenRequest;
using test_support::TestServer;

std::string RuleOfText(const char* text) {
  absl::StatusOr<Cidr> cidr = ParseCidr(text);
  EXPECT_TRUE(cidr.ok()) << text;
  return OutboundGuard::RuleOf(cidr->address);
}

TEST(OutboundGuardTest, NamesTheRuleOfEveryInternalRange) {
  for (const auto& [address, rule] :
       std::vector<std::pair<const char*, const char*>>{
           {"127.0.0.1", "loopback"},
           {"127.255.1.2", "loopback"},
           {"::1", "loopback"},
           {"::ffff:127.0.0.1", "loopback"},
           {"64:ff9b::7f00:1", "loopback"},
           {"0.0.0.0", "unspecified"},
           {"::", "unspecified"},
           {"10.1.2.3", "private"},
           {"172.31.255.255", "private"},
           {"192.168.0.1", "private"},
           {"fd12::1", "private (unique local)"},
           {"100.100.0.1", "shared address space"},
           {"169.254.169.254", "link-local (cloud metadata)"},
           {"fe80::1", "link-local"},
           {"224.0.0.251", "multicast"},
           {"ff02::1", "multicast"},
           {"192.0.2.10", "documentation"},
           {"2001:db8::5", "documentation"},
           {"198.19.0.1", "benchmarking"},
           {"255.255.255.255", "reserved"},
       }) {
    EXPECT_EQ(RuleOfText(address), rule) << address;
  }
  for (const char* address :
       {"8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
        "::ffff:1.1.1.1", "169.255.0.1"}) {
    EXPECT_EQ(RuleOfText(address), "") << address;
  }
}

TEST(OutboundGuardTest, ParsesAllowListsAndRefusesBadOnes) {
  absl::StatusOr<std::vector<Cidr>> list =
      ParseCidrList(" 127.0.0.1/32, ::1 ,10.0.0.0/8");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), 3u);
  EXPECT_TRUE(ParseCidrList("").ok());
  for (const char* bad :
       {"localhost", "10.0.0.0/33", "::1/129", "1.2.3.4/x", "1.2.3"}) {
    EXPECT_FALSE(ParseCidrList(bad).ok()) << bad;
  }
}

ClientOptions Guarded(const OutboundGuard& guard) {
  ClientOptions options;
  options.admit_address = [&guard](const sockaddr* address) {
    return guard.Admit(address);
  };
  return options;
}

// Every form of a loopback URL is refused before a connection is opened:
// the server never sees one.
TEST(OutboundGuardTest, TheClientNeverConnectsToARefusedAddress) {
  TestServer server(
      [](const SeenRequest&) { return Answer{.body = "secret"}; });
  const OutboundGuard guard;
  Client client(Guarded(guard));
  const std::string port = absl::StrCat(":", server.port());
  for (const std::string& host : {"127.0.0.1", "localhost", "2130706433",
                                  "0x7f.0.0.1", "[::ffff:127.0.0.1]"}) {
    absl::StatusOr<ClientResponse> response = client.Send(
        {.method = "POST", .url = "http://" + host + port + "/hook"},
        absl::Seconds(5));
    ASSERT_FALSE(response.ok()) << host;
    EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied)
        << host;
    EXPECT_TRUE(absl::StrContains(response.status().message(), "loopback"))
        << host << ": " << response.status();
  }
  EXPECT_EQ(server.accepted(), 0);
  absl::StatusOr<ClientResponse> metadata = client.Send(
      {.method = "GET", .url = "http://169.254.169.254/latest/meta-data/"},
      absl::Seconds(5));
  ASSERT_FALSE(metadata.ok());
  EXPECT_TRUE(absl::StrContains(metadata.status().message(), "cloud metadata"))
      << metadata.status();
}

TEST(OutboundGuardTest,
     AnAllowListedReceiverIsReachedAndRedirectsAreNotFollowed) {
  int hits_on_target = 0;
  TestServer target([&](const SeenRequest&) {
    ++hits_on_target;
    return Answer{.body = "internal"};
  });
  TestServer receiver([&](const SeenRequest& request) {
    if (absl::StrContains(request.line, "/moved")) {
      return Answer{.status = 302,
                    .extra_headers =
                        absl::StrCat("Location: ", target.url("/x"), "\r\n")};
    }
    return Answer{.status = 204};
  });
  const OutboundGuard guard(*ParseCidrList("127.0.0.1/32"));
  Client client(Guarded(guard));
  absl::StatusOr<ClientResponse> ok = client.Send(
      {.method = "POST", .url = receiver.url("/hook")}, absl::Seconds(5));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 204);
  absl::StatusOr<ClientResponse> moved = client.Send(
      {.method = "POST", .url = receiver.url("/moved")}, absl::Seconds(5));
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->status, 302);
  EXPECT_EQ(hits_on_target, 0);
}

}  // namespace
}  // namespace adcp::http
