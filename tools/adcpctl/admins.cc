#include "tools/adcpctl/admins.h"

#include <google/protobuf/util/time_util.h>

#include <ctime>
#include <iostream>

#include "adcp/auth/v1/auth.grpc.pb.h"
#include "libs/tenancy/metadata.h"

namespace adcp::adcpctl {
namespace {

namespace pb = ::adcp::auth::v1;
using google::protobuf::util::TimeUtil;

class AdminClient {
 public:
  AdminClient(std::shared_ptr<grpc::Channel> auth, std::string system_token,
              std::ostream& err)
      : stub_(pb::SystemAdmins::NewStub(std::move(auth))),
        system_token_(std::move(system_token)),
        err_(err) {}

  std::unique_ptr<grpc::ClientContext> Context(const std::string& token) const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    if (const absl::Status forwarded =
            ForwardTenant(context.get(), ForwardedCall{.system_token = token});
        !forwarded.ok()) {
      err_ << "adcpctl: SYSTEM_ADMIN_TOKEN: " << forwarded.message() << "\n";
    }
    return context;
  }
  std::unique_ptr<grpc::ClientContext> Context() const {
    return Context(system_token_);
  }
  int Fail(const std::string& what, const grpc::Status& status) const {
    err_ << what << ": " << status.error_message() << " (code "
         << status.error_code() << ")\n";
    return 1;
  }
  pb::SystemAdmins::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<pb::SystemAdmins::Stub> stub_;
  const std::string system_token_;
  std::ostream& err_;
};

std::string Time(bool set, const google::protobuf::Timestamp& at) {
  return set ? TimeUtil::ToString(at) : "-";
}

std::string ReadPassword(std::istream& in) {
  std::string password;
  std::getline(in, password);
  return password;
}

int CreateAdmin(AdminClient& client, const std::string& admin_id,
                const std::string& name, std::istream& in, std::ostream& out) {
  pb::CreateSystemAdminRequest request;
  request.set_admin_id(admin_id);
  request.set_name(name);
  request.set_password(ReadPassword(in));
  pb::SystemAdmin admin;
  const grpc::Status status =
      client.stub().CreateSystemAdmin(client.Context().get(), request, &admin);
  if (!status.ok()) return client.Fail("admins create", status);
  out << "created system admin " << admin.admin_id() << " (" << admin.name()
      << "), by " << admin.created_by() << "\n";
  return 0;
}

int ListAdmins(AdminClient& client, std::ostream& out) {
  pb::ListSystemAdminsRequest request;
  request.set_include_disabled(true);
  pb::ListSystemAdminsResponse response;
  const grpc::Status status = client.stub().ListSystemAdmins(
      client.Context().get(), request, &response);
  if (!status.ok()) return client.Fail("admins list", status);
  for (const auto& admin : response.admins()) {
    out << admin.admin_id() << "\t"
        << (admin.has_disabled_at() ? "disabled" : "enabled") << "\t"
        << TimeUtil::ToString(admin.created_at()) << "\t" << admin.name()
        << "\n";
  }
  return 0;
}

int DisableAdmin(AdminClient& client, const std::string& admin_id,
                 std::ostream& out) {
  pb::DisableSystemAdminRequest request;
  request.set_admin_id(admin_id);
  pb::SystemAdmin admin;
  const grpc::Status status =
      client.stub().DisableSystemAdmin(client.Context().get(), request, &admin);
  if (!status.ok()) return client.Fail("admins disable", status);
  out << "disabled " << admin.admin_id() << "; its tokens are revoked\n";
  return 0;
}

// With `admin_id`: signs in (password on stdin) for a one-minute session,
// mints with it, then signs the session out.
int CreateToken(AdminClient& client, const std::string& admin_id,
                std::istream& in, std::ostream& out) {
  std::string session;
  if (!admin_id.empty()) {
    pb::SignInSystemAdminRequest sign_in;
    sign_in.set_admin_id(admin_id);
    sign_in.set_password(ReadPassword(in));
    sign_in.set_ttl_seconds(60);
    pb::SystemAdminTokenWithSecret signed_in;
    const grpc::Status status = client.stub().SignInSystemAdmin(
        client.Context("").get(), sign_in, &signed_in);
    if (!status.ok()) return client.Fail("admin-tokens create", status);
    session = signed_in.secret();
  }
  pb::SystemAdminTokenWithSecret issued;
  const grpc::Status status = client.stub().CreateSystemAdminToken(
      session.empty() ? client.Context().get() : client.Context(session).get(),
      pb::CreateSystemAdminTokenRequest(), &issued);
  if (!session.empty()) {
    pb::SignOutSystemAdminRequest sign_out;
    sign_out.set_token(session);
    pb::SignOutSystemAdminResponse ignored;
    (void)client.stub().SignOutSystemAdmin(client.Context("").get(), sign_out,
                                           &ignored);
  }
  if (!status.ok()) return client.Fail("admin-tokens create", status);
  out << "admin_id: " << issued.token().admin_id() << "\n"
      << "token_id: " << issued.token().token_id() << "\n"
      << "token:    " << issued.secret() << "\n"
      << "(shown once; send it as X-System-Token, or to adcpctl as "
         "SYSTEM_ADMIN_TOKEN)\n";
  return 0;
}

int ListTokens(AdminClient& client, const std::string& admin_id,
               std::ostream& out) {
  pb::ListSystemAdminTokensRequest request;
  request.set_admin_id(admin_id);
  request.set_include_revoked(true);
  pb::ListSystemAdminTokensResponse response;
  const grpc::Status status = client.stub().ListSystemAdminTokens(
      client.Context().get(), request, &response);
  if (!status.ok()) return client.Fail("admin-tokens list", status);
  for (const auto& token : response.tokens()) {
    out << token.token_id() << "\t" << token.kind() << "\t" << token.prefix()
        << "...\t"
        << (token.has_revoked_at() ? "revoked"
            : token.has_expires_at() &&
                    TimeUtil::TimestampToTimeT(token.expires_at()) <=
                        std::time(nullptr)
                ? "expired"
                : "live")
        << "\tcreated " << TimeUtil::ToString(token.created_at())
        << "\tlast used "
        << Time(token.has_last_used_at(), token.last_used_at()) << "\n";
  }
  return 0;
}

int RevokeToken(AdminClient& client, const std::string& admin_id,
                const std::string& token_id, std::ostream& out) {
  pb::RevokeSystemAdminTokenRequest request;
  request.set_admin_id(admin_id);
  request.set_token_id(token_id);
  pb::SystemAdminToken token;
  const grpc::Status status = client.stub().RevokeSystemAdminToken(
      client.Context().get(), request, &token);
  if (!status.ok()) return client.Fail("admin-tokens revoke", status);
  out << "revoked " << token.token_id() << " of " << token.admin_id() << "\n";
  return 0;
}

}  // namespace

std::optional<int> RunAdminCommand(const std::vector<std::string>& args,
                                   std::shared_ptr<grpc::Channel> auth,
                                   const std::string& system_token,
                                   std::istream& in, std::ostream& out,
                                   std::ostream& err) {
  if (args.size() < 2 || (args[0] != "admins" && args[0] != "admin-tokens"))
    return std::nullopt;
  AdminClient client(std::move(auth), system_token, err);
  const std::string command = args[0] + " " + args[1];
  const size_t n = args.size();
  if (command == "admins create" && n == 4)
    return CreateAdmin(client, args[2], args[3], in, out);
  if (command == "admins list" && n == 2) return ListAdmins(client, out);
  if (command == "admins disable" && n == 3)
    return DisableAdmin(client, args[2], out);
  if (command == "admin-tokens create" && n <= 3)
    return CreateToken(client, n == 3 ? args[2] : "", in, out);
  if (command == "admin-tokens list" && n == 3)
    return ListTokens(client, args[2], out);
  if (command == "admin-tokens revoke" && n == 4)
    return RevokeToken(client, args[2], args[3], out);
  err << "unknown command or wrong arguments: " << command << "\n";
  return 2;
}

}  // namespace adcp::adcpctl
