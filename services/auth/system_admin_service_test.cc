// Named system admins over real gRPC channels: auth's SystemAdmins service
// with the registry and media-buy beside it (whose guards resolve admin
// tokens at auth), against a throwaway PostgreSQL.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"
#include "libs/grpc/grpc_status.h"
#include "tests/support/eventually.h"
#include "tests/support/suite.h"

namespace adcp::auth {
namespace {

using ::adcp::testing::Eventually;
using ::adcp::testing::Suite;

std::map<grpc::StatusCode, int> ConcurrentSignIns(v1::SystemAdmins::Stub& stub,
                                                  const std::string& admin_id,
                                                  const std::string& password,
                                                  const std::string& key,
                                                  int threshold, int count) {
  std::mutex mu;
  std::map<grpc::StatusCode, int> codes;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&] {
      v1::SignInSystemAdminRequest request;
      request.set_admin_id(admin_id);
      request.set_password(password);
      v1::SignInThrottleKey* throttle = request.add_throttle_keys();
      throttle->set_key(key);
      throttle->set_threshold(threshold);
      v1::SystemAdminTokenWithSecret session;
      auto context = Suite::Context("", "", "");
      while (!go.load()) std::this_thread::yield();
      const grpc::Status status =
          stub.SignInSystemAdmin(context.get(), request, &session);
      std::lock_guard<std::mutex> lock(mu);
      ++codes[status.error_code()];
    });
  }
  go = true;
  for (auto& thread : threads) thread.join();
  return codes;
}

class SystemAdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto suite = Suite::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    admins_ = v1::SystemAdmins::NewStub(suite_->auth_channel());
  }

  grpc::Status CreateAdmin(const std::string& token,
                           const std::string& admin_id,
                           const std::string& password = "bobs-long-password",
                           const std::string& name = "Bob") {
    v1::CreateSystemAdminRequest request;
    request.set_admin_id(admin_id);
    request.set_name(name);
    request.set_password(password);
    v1::SystemAdmin admin;
    return admins_->CreateSystemAdmin(Suite::Context("", "", token).get(),
                                      request, &admin);
  }

  absl::StatusOr<std::string> SignIn(const std::string& admin_id,
                                     const std::string& password) {
    v1::SignInSystemAdminRequest request;
    request.set_admin_id(admin_id);
    request.set_password(password);
    v1::SystemAdminTokenWithSecret session;
    RETURN_IF_ERROR(FromGrpcStatus(admins_->SignInSystemAdmin(
        Suite::Context("", "", "").get(), request, &session)));
    EXPECT_EQ(session.token().kind(), "session");
    EXPECT_TRUE(session.token().has_expires_at());
    return session.secret();
  }

  // Sign-ins of `admin_id` with `password` from `count` threads at once,
  // each under the throttle key `key` (threshold 2): their status codes.
  std::map<grpc::StatusCode, int> SignInsAtOnce(const std::string& admin_id,
                                                const std::string& password,
                                                const std::string& key,
                                                int count) {
    return ConcurrentSignIns(*admins_, admin_id, password, key, 2, count);
  }

  absl::StatusOr<v1::SystemAdminTokenWithSecret> MintToken(
      const std::string& token) {
    v1::SystemAdminTokenWithSecret issued;
    RETURN_IF_ERROR(FromGrpcStatus(admins_->CreateSystemAdminToken(
        Suite::Context("", "", token).get(),
        v1::CreateSystemAdminTokenRequest(), &issued)));
    return issued;
  }

  // A system-admin call at the registry (another process's guard in
  // production): creates a tenant.
  grpc::StatusCode CreateTenantAs(const std::string& token,
                                  const std::string& tenant_id) {
    tenant::v1::CreateTenantRequest request;
    request.set_tenant_id(tenant_id);
    request.set_name("Publisher " + tenant_id);
    request.set_subdomain(tenant_id);
    tenant::v1::Tenant tenant;
    return suite_->registry()
        .CreateTenant(Suite::Context("", "", token).get(), request, &tenant)
        .error_code();
  }

  std::unique_ptr<Suite> suite_;
  std::unique_ptr<v1::SystemAdmins::Stub> admins_;
};

TEST_F(SystemAdminServiceTest, TheBootstrapTokenCreatesOnlyTheFirstAdmin) {
  // The suite's start-up spent it on suite-admin.
  EXPECT_EQ(CreateAdmin(suite_->bootstrap_token(), "mallory").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateTenantAs(suite_->bootstrap_token(), "boot1"),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListSystemAdminsResponse list;
  ASSERT_TRUE(admins_
                  ->ListSystemAdmins(suite_->AdminContext().get(),
                                     v1::ListSystemAdminsRequest(), &list)
                  .ok());
  ASSERT_EQ(list.admins_size(), 1);
  EXPECT_EQ(list.admins(0).admin_id(), testing::kSuiteAdminId);
  EXPECT_EQ(list.admins(0).created_by(), "bootstrap");
}

TEST_F(SystemAdminServiceTest, EveryFieldIsValidated) {
  const std::string& token = suite_->system_token();
  for (const auto& [admin_id, password, name, field] : std::vector<
           std::tuple<std::string, std::string, std::string, std::string>>{
           {"", "long-enough-password", "Bob", "admin_id: required"},
           {"-bob", "long-enough-password", "Bob", "admin_id: expected"},
           {"bob smith", "long-enough-password", "Bob", "admin_id: expected"},
           {std::string(101, 'b'), "long-enough-password", "Bob",
            "admin_id: expected"},
           {"bob", "short", "Bob", "password: 12 to 1024 bytes"},
           {"bob", "long-enough-password", " ", "name: required"},
           {"bob", "long-enough-password", "Bob\n", "name: must not"}}) {
    const grpc::Status status = CreateAdmin(token, admin_id, password, name);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << admin_id;
    EXPECT_EQ(status.error_message().rfind(field, 0), 0u)
        << status.error_message();
  }
  ASSERT_TRUE(CreateAdmin(token, "Bob@Example.com").ok());  // lowercased
  EXPECT_EQ(CreateAdmin(token, "bob@example.com").error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(SystemAdminServiceTest, SignInMintActRevoke) {
  ASSERT_TRUE(CreateAdmin(suite_->system_token(), "bob").ok());
  for (const auto& [admin_id, password] :
       std::vector<std::pair<std::string, std::string>>{
           {"bob", "not-bobs-password"}, {"nobody", "bobs-long-password"}}) {
    const auto refused = SignIn(admin_id, password);
    EXPECT_TRUE(absl::IsUnauthenticated(refused.status())) << admin_id;
    EXPECT_EQ(refused.status().message(), "wrong admin or password");
  }
  auto session = SignIn("bob", "bobs-long-password");
  ASSERT_TRUE(session.ok()) << session.status();
  auto api = MintToken(*session);
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->token().admin_id(), "bob");
  EXPECT_EQ(api->token().kind(), "api");

  // The registry resolves it at auth; the audit row names bob.
  EXPECT_EQ(CreateTenantAs(api->secret(), "bobs1"), grpc::StatusCode::OK);
  {
    // As superuser: row-level security hides audit rows from the owner.
    pqxx::connection superuser(suite_->db().SuperuserUrl());
    pqxx::work txn(superuser);
    const pqxx::row row = txn.exec1(
        "SELECT principal_id FROM audit_log WHERE tenant_id = 'bobs1' AND "
        "operation = 'tenant_created'");
    EXPECT_EQ(row[0].as<std::string>(), "admin:bob");
    // Auth keeps the token's SHA-256 and nothing that yields the token.
    const pqxx::row stored = txn.exec_params1(
        "SELECT encode(token_sha256, 'hex'), prefix FROM system_admin_tokens "
        "WHERE token_id = $1",
        api->token().token_id());
    EXPECT_EQ(stored[0].as<std::string>(),
              absl::BytesToHexString(Sha256(api->secret())));
    EXPECT_EQ(api->secret().rfind(stored[1].as<std::string>(), 0), 0u);
  }

  v1::RevokeSystemAdminTokenRequest revoke;
  revoke.set_admin_id("bob");
  revoke.set_token_id(api->token().token_id());
  v1::SystemAdminToken revoked;
  ASSERT_TRUE(admins_
                  ->RevokeSystemAdminToken(suite_->AdminContext().get(), revoke,
                                           &revoked)
                  .ok());
  EXPECT_TRUE(revoked.has_revoked_at());
  // Refused by the registry's and media-buy's cached resolvers within the
  // change stream's latency.
  const absl::Time revoked_at = absl::Now();
  EXPECT_TRUE(Eventually(
      [&] {
        return CreateTenantAs(api->secret(), "bobs2") ==
               grpc::StatusCode::PERMISSION_DENIED;
      },
      absl::Seconds(2)));
  EXPECT_LT(absl::Now() - revoked_at, absl::Seconds(2));
  // Revoking again changes nothing; another admin's token is not found.
  ASSERT_TRUE(admins_
                  ->RevokeSystemAdminToken(suite_->AdminContext().get(), revoke,
                                           &revoked)
                  .ok());
  revoke.set_admin_id(testing::kSuiteAdminId);
  EXPECT_EQ(admins_
                ->RevokeSystemAdminToken(suite_->AdminContext().get(), revoke,
                                         &revoked)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(SystemAdminServiceTest, ADisabledAdminsTokensStopEverywhere) {
  ASSERT_TRUE(CreateAdmin(suite_->system_token(), "carol").ok());
  auto session = SignIn("carol", "bobs-long-password");
  ASSERT_TRUE(session.ok());
  auto api = MintToken(*session);
  ASSERT_TRUE(api.ok());
  ASSERT_EQ(CreateTenantAs(api->secret(), "carol1"), grpc::StatusCode::OK);
  v1::DisableSystemAdminRequest disable;
  disable.set_admin_id("carol");
  v1::SystemAdmin disabled;
  ASSERT_TRUE(
      admins_
          ->DisableSystemAdmin(suite_->AdminContext().get(), disable, &disabled)
          .ok());
  EXPECT_TRUE(disabled.has_disabled_at());
  EXPECT_TRUE(Eventually(
      [&] {
        return CreateTenantAs(api->secret(), "carol2") ==
               grpc::StatusCode::PERMISSION_DENIED;
      },
      absl::Seconds(2)));
  EXPECT_EQ(MintToken(*session).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(
      absl::IsUnauthenticated(SignIn("carol", "bobs-long-password").status()));
}

TEST_F(SystemAdminServiceTest,
       ConcurrentWrongPasswordsAreCountedBeforeTheCheck) {
  // Twelve wrong guesses at once under one key of threshold 2: two are
  // checked (and refused), the other ten wait, however the checks overlap.
  std::map<grpc::StatusCode, int> codes = SignInsAtOnce(
      testing::kSuiteAdminId, "not-the-password", "peer:flood", 12);
  EXPECT_EQ(codes[grpc::StatusCode::UNAUTHENTICATED], 2);
  EXPECT_EQ(codes[grpc::StatusCode::RESOURCE_EXHAUSTED], 10);
  // The admin itself, from elsewhere, is not slowed down by them.
  EXPECT_TRUE(
      SignIn(testing::kSuiteAdminId, testing::kSuiteAdminPassword).ok());
}

TEST(SystemAdminSignInFloodTest,
     PasswordChecksBeyondTheBulkheadAreUnavailable) {
  auto suite = Suite::Start({.configure_auth = [](AuthConfig& config) {
    config.password_checks = {.concurrent = 1, .wait = absl::ZeroDuration()};
  }});
  ASSERT_TRUE(suite.ok()) << suite.status();
  auto admins = v1::SystemAdmins::NewStub((*suite)->auth_channel());
  // Sixteen wrong guesses at once on one slot, no waiting, under a key of
  // threshold 20: some are refused before any scrypt, as transient.
  std::map<grpc::StatusCode, int> codes = ConcurrentSignIns(
      *admins, testing::kSuiteAdminId, "not-the-password", "peer:many", 20, 16);
  const int checked = codes[grpc::StatusCode::UNAUTHENTICATED];
  EXPECT_GE(codes[grpc::StatusCode::UNAVAILABLE], 1);
  EXPECT_GE(checked, 1);
  EXPECT_EQ(codes[grpc::StatusCode::UNAVAILABLE] + checked, 16);
  EXPECT_EQ((*suite)->auth_server().password_checks().in_progress(), 0);
  // A guess never checked is not a failure: the key counts exactly the
  // checked ones.
  pqxx::connection owner((*suite)->db().OwnerUrl());
  pqxx::nontransaction read(owner);
  EXPECT_EQ(read.exec1("SELECT failures FROM "
                       "system_admin_sign_in_failures WHERE "
                       "throttle_key = 'peer:many'")[0]
                .as<int>(),
            checked);
}

TEST_F(SystemAdminServiceTest, SignOutRevokesTheSession) {
  auto session = SignIn(testing::kSuiteAdminId, testing::kSuiteAdminPassword);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE(MintToken(*session).ok());
  v1::SignOutSystemAdminRequest request;
  request.set_token(*session);
  v1::SignOutSystemAdminResponse response;
  ASSERT_TRUE(admins_
                  ->SignOutSystemAdmin(Suite::Context("", "", "").get(),
                                       request, &response)
                  .ok());
  EXPECT_EQ(MintToken(*session).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(admins_
                ->SignOutSystemAdmin(Suite::Context("", "", "").get(), request,
                                     &response)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(SystemAdminServiceTest, FailedAdminTokensAreAuditedAggregated) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(CreateTenantAs("adcp_made-up-system-token", "nope"),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  suite_->auth_server().audit().Flush();
  pqxx::connection owner(suite_->db().OwnerUrl());
  pqxx::work txn(owner);
  const pqxx::result rows = txn.exec(
      "SELECT actor, success, details FROM system_admin_events "
      "WHERE operation = 'system_auth_failed'");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "anonymous");
  EXPECT_FALSE(rows[0][1].as<bool>());
  const nlohmann::json details =
      nlohmann::json::parse(rows[0][2].as<std::string>());
  EXPECT_EQ(details["count"], 5);
  EXPECT_EQ(details["reason"], "invalid or revoked system token");
  // No token, in any form, reaches the audit.
  EXPECT_EQ(rows[0][2].as<std::string>().find("made-up"), std::string::npos);
}

TEST_F(SystemAdminServiceTest, AnAdminMintsTokensOnlyForItself) {
  auto issued = MintToken(suite_->system_token());
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->token().admin_id(), testing::kSuiteAdminId);
  v1::ListSystemAdminTokensRequest list;
  list.set_admin_id(testing::kSuiteAdminId);
  v1::ListSystemAdminTokensResponse tokens;
  ASSERT_TRUE(
      admins_
          ->ListSystemAdminTokens(suite_->AdminContext().get(), list, &tokens)
          .ok());
  // The suite's start-up session, its API token, and this one.
  EXPECT_EQ(tokens.tokens_size(), 3);
  for (const auto& token : tokens.tokens())
    EXPECT_EQ(token.prefix().size(), 12u);
}

TEST_F(SystemAdminServiceTest, TheBootstrapTokenDoesNothingButCreateAnAdmin) {
  // Every other call of the service refuses it, whatever the admins' state.
  const std::string& boot = suite_->bootstrap_token();
  auto context = [&] { return Suite::Context("", "", boot); };
  v1::ListSystemAdminsResponse admins;
  EXPECT_EQ(admins_
                ->ListSystemAdmins(context().get(),
                                   v1::ListSystemAdminsRequest(), &admins)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::DisableSystemAdminRequest disable;
  disable.set_admin_id(testing::kSuiteAdminId);
  v1::SystemAdmin disabled;
  EXPECT_EQ(admins_->DisableSystemAdmin(context().get(), disable, &disabled)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(MintToken(boot).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::ListSystemAdminTokensRequest list;
  list.set_admin_id(testing::kSuiteAdminId);
  v1::ListSystemAdminTokensResponse tokens;
  EXPECT_EQ(admins_->ListSystemAdminTokens(context().get(), list, &tokens)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::RevokeSystemAdminTokenRequest revoke;
  revoke.set_admin_id(testing::kSuiteAdminId);
  revoke.set_token_id("sat_0");
  v1::SystemAdminToken revoked;
  EXPECT_EQ(admins_->RevokeSystemAdminToken(context().get(), revoke, &revoked)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Once every admin is disabled it creates one again, and only one.
  ASSERT_TRUE(
      admins_
          ->DisableSystemAdmin(suite_->AdminContext().get(), disable, &disabled)
          .ok());
  EXPECT_EQ(admins_
                ->ListSystemAdmins(context().get(),
                                   v1::ListSystemAdminsRequest(), &admins)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateTenantAs(boot, "boot2"), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(CreateAdmin(boot, "dave").ok());
  EXPECT_EQ(CreateAdmin(boot, "erin").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto session = SignIn("dave", "bobs-long-password");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(CreateTenantAs(*session, "dave1"), grpc::StatusCode::OK);
}

TEST_F(SystemAdminServiceTest, SignInPrunesExpiredSessionsInBoundedBatches) {
  ASSERT_TRUE(CreateAdmin(suite_->system_token(), "frank").ok());
  pqxx::connection owner(suite_->db().OwnerUrl());
  // 150 sessions that expired, one that has not, and a long-revoked API
  // token: rows as auth writes them.
  {
    pqxx::work txn(owner);
    txn.exec(
        "INSERT INTO system_admin_tokens (token_id, admin_id, token_sha256, "
        "kind, prefix, created_at, expires_at, revoked_at) "
        "SELECT 'sat_old' || i, 'frank', sha256(('old' || i)::bytea), "
        "CASE WHEN i <= 151 THEN 'session' ELSE 'api' END, 'adcp_old', "
        "now() - interval '2 days', "
        "CASE WHEN i <= 150 THEN now() - interval '1 day' "
        "WHEN i = 151 THEN now() + interval '1 hour' END, "
        "CASE WHEN i = 152 THEN now() - interval '1 day' END "
        "FROM generate_series(1, 152) AS i");
    // Another admin's expired session: not frank's sign-in's to prune.
    txn.exec(
        "INSERT INTO system_admin_tokens (token_id, admin_id, token_sha256, "
        "kind, prefix, expires_at) VALUES ('sat_other', 'suite-admin', "
        "sha256('other'::bytea), 'session', 'adcp_other', "
        "now() - interval '1 day')");
    txn.commit();
  }
  auto count = [&](const std::string& where) {
    pqxx::work txn(owner);
    return txn
        .exec1("SELECT count(*) FROM system_admin_tokens WHERE " + where)[0]
        .as<int>();
  };
  const std::string expired =
      "admin_id = 'frank' AND kind = 'session' AND expires_at < now()";
  ASSERT_EQ(count(expired), 150);
  ASSERT_TRUE(SignIn("frank", "bobs-long-password").ok());
  EXPECT_EQ(count(expired), 50);  // one batch of 100
  ASSERT_TRUE(SignIn("frank", "bobs-long-password").ok());
  EXPECT_EQ(count(expired), 0);
  // The live sessions (the unexpired one and the two sign-ins') and the
  // API token stay.
  EXPECT_EQ(count("admin_id = 'frank' AND kind = 'session'"), 3);
  EXPECT_EQ(count("token_id IN ('sat_old151', 'sat_old152', 'sat_other')"), 3);
}

TEST_F(SystemAdminServiceTest, TokenListsAreCappedWithAClearError) {
  ASSERT_TRUE(CreateAdmin(suite_->system_token(), "grace").ok());
  pqxx::connection owner(suite_->db().OwnerUrl());
  auto add_api_tokens = [&](int from, int to, bool revoked) {
    pqxx::work txn(owner);
    txn.exec_params(
        "INSERT INTO system_admin_tokens (token_id, admin_id, token_sha256, "
        "kind, prefix, revoked_at) "
        "SELECT 'sat_g' || i, 'grace', sha256(('g' || i)::bytea), 'api', "
        "'adcp_g', CASE WHEN $3 THEN now() END "
        "FROM generate_series($1::int, $2::int) AS i",
        from, to, revoked);
    txn.commit();
  };
  auto list = [&](bool include_revoked) {
    v1::ListSystemAdminTokensRequest request;
    request.set_admin_id("grace");
    request.set_include_revoked(include_revoked);
    v1::ListSystemAdminTokensResponse response;
    const grpc::Status status = admins_->ListSystemAdminTokens(
        suite_->AdminContext().get(), request, &response);
    return std::make_pair(status, response.tokens_size());
  };
  add_api_tokens(1, 500, false);
  EXPECT_EQ(list(false).second, 500);  // the cap itself is listed
  add_api_tokens(501, 501, true);
  EXPECT_EQ(list(false).second, 500);  // the revoked one left out
  const auto [status, size] = list(true);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(),
            "admin_id: more than 500 tokens to list; revoke unused API "
            "tokens, or leave out the revoked ones");
}

}  // namespace
}  // namespace adcp::auth
