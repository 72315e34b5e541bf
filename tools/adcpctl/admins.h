// adcpctl's system admin commands (auth's SystemAdmins service):
//   admins create ADMIN_ID NAME     password on stdin (its first line); with
//                                   SYSTEM_ADMIN_TOKEN an admin's token, or
//                                   the bootstrap token for the first admin
//   admins list
//   admins disable ADMIN_ID         also revokes all its tokens
//   admin-tokens create [ADMIN_ID]  an API token for the caller, printed
//                                   once; with ADMIN_ID, signs in as that
//                                   admin first (password on stdin), so no
//                                   token is needed yet
//   admin-tokens list ADMIN_ID
//   admin-tokens revoke ADMIN_ID TOKEN_ID
#pragma once

#include <grpcpp/channel.h>

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace adcp::adcpctl {

// Runs `args` if it is one of the commands above: its exit status; nullopt
// when it is not. `auth` carries the internal token; `system_token` is the
// caller's admin (or bootstrap) token.
std::optional<int> RunAdminCommand(const std::vector<std::string>& args,
                                   std::shared_ptr<grpc::Channel> auth,
                                   const std::string& system_token,
                                   std::istream& in, std::ostream& out,
                                   std::ostream& err);

}  // namespace adcp::adcpctl
