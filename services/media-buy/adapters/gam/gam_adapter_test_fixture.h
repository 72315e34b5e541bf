// The Google Ad Manager adapter's test fixture: the adapter against a fake
// Ad Manager on a local socket (HappyGam creates what it is asked to and
// answers the token endpoint and the report download), a service account
// with a fresh RSA key, and the SOAP and JWT readers the tests check
// requests with. Test-only.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/media-buy/adapters/gam/gam_adapter.h"
#include "services/media-buy/adapters/gam/service_account.h"
#include "services/media-buy/adapters/gam/xml_node.h"
#include "services/media-buy/testing/ad_server_scripts.h"
#include "services/media-buy/testing/adapter_fixtures.h"
#include "services/media-buy/testing/fake_ad_server.h"

namespace adcp::media_buy::gam_test {

using json = nlohmann::json;
using testing::FakeAdServer;
using testing::FakeAnswer;
using testing::RecordedRequest;

inline constexpr const char* kAccessToken = testing::kFakeGamAccessToken;
using testing::HappyGam;

// A fresh RSA key: {private PEM, public PEM}.
inline std::pair<std::string, std::string> RsaKeyPair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  auto pem = [&](bool is_private) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (is_private) {
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PUBKEY(bio, key);
    }
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(length));
    BIO_free(bio);
    return out;
  };
  std::pair<std::string, std::string> pair{pem(true), pem(false)};
  EVP_PKEY_free(key);
  return pair;
}

inline bool VerifyRs256(const std::string& jwt, const std::string& public_pem) {
  const size_t dot = jwt.rfind('.');
  std::string signature;
  if (!absl::WebSafeBase64Unescape(jwt.substr(dot + 1), &signature))
    return false;
  const std::string input = jwt.substr(0, dot);
  BIO* bio =
      BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx,
                       reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(),
                       reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

inline json JwtPart(const std::string& jwt, int index) {
  std::vector<std::string> parts = absl::StrSplit(jwt, '.');
  std::string decoded;
  absl::WebSafeBase64Unescape(parts[static_cast<size_t>(index)], &decoded);
  return json::parse(decoded);
}

inline std::string UrlDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

inline std::map<std::string, std::string> Form(const std::string& body) {
  std::map<std::string, std::string> out;
  for (const std::string& pair :
       std::vector<std::string>(absl::StrSplit(body, '&'))) {
    std::vector<std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    out[kv[0]] = kv.size() > 1 ? UrlDecode(kv[1]) : "";
  }
  return out;
}

// The SOAP call a request carries: its method element.
inline XmlNode Call(const RecordedRequest& request) {
  auto root = ParseXml(request.body);
  EXPECT_TRUE(root.ok()) << request.body;
  const XmlNode* body = root->Find("Body");
  return body && !body->children.empty() ? body->children[0] : XmlNode();
}

inline std::string Method(const RecordedRequest& request) {
  return std::string(LocalName(Call(request).name));
}

inline FakeAnswer Soap(const std::string& inner) {
  return testing::SoapAnswer(inner);
}

inline FakeAnswer Fault(const std::string& error,
                        const std::string& field = "") {
  FakeAnswer answer = Soap(absl::StrCat(
      "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>[", error,
      " @ ", field,
      "]</faultstring><detail><ApiExceptionFault "
      "xmlns=\"https://www.google.com/apis/ads/publisher/v202511\"><message>[",
      error, "]</message><errors><fieldPath>", field,
      "</fieldPath><trigger></trigger><errorString>", error,
      "</errorString></errors></ApiExceptionFault></detail></soap:Fault>"));
  answer.status = 500;
  return answer;
}

class GamAdapterTest : public ::testing::Test {
 protected:
  GamAdapterTest() : server_(HappyGam) {
    static const std::pair<std::string, std::string> keys = RsaKeyPair();
    keys_ = keys;
    service_account_ =
        json({{"type", "service_account"},
              {"client_email", "adcp@proj.iam.gserviceaccount.com"},
              {"private_key_id", "kid-1"},
              {"private_key", keys_.first},
              {"token_uri", "https://oauth2.googleapis.com/token"}})
            .dump();
    deps_.transport = CurlHttpTransport();
    deps_.breakers = std::make_shared<CircuitBreakers>([this] { return now_; });
    deps_.secrets = FixedSecretStore({{"gam-nytimes", service_account_}});
    deps_.policy.timeout = absl::Milliseconds(500);
    deps_.policy.initial_backoff = absl::Milliseconds(1);
    deps_.sleep = [](absl::Duration) {};
    factory_ = GamAdapterFactory(deps_);
  }

  AdapterContext Context(bool dry_run = false) {
    AdapterContext context = testing::GamContext(
        server_.base_url(), "gam-nytimes", [this] { return now_; });
    context.dry_run = dry_run;
    return context;
  }

  std::unique_ptr<AdServerAdapter> Adapter(const AdapterContext& context) {
    auto adapter = factory_(context);
    EXPECT_TRUE(adapter.ok()) << adapter.status();
    return adapter.ok() ? *std::move(adapter) : nullptr;
  }

  static AdapterBuy Buy() {
    AdapterBuy buy = testing::JanuaryBuy("nytimes");
    buy.packages.push_back({.package_id = "pkg_1",
                            .pricing_model = "cpm",
                            .delivery_type = "guaranteed",
                            .budget = 5000 * kMicrosPerUnit,
                            .rate = 12500000});
    buy.packages.push_back({.package_id = "pkg_2",
                            .pricing_model = "cpm",
                            .delivery_type = "non_guaranteed",
                            .budget = 600 * kMicrosPerUnit,
                            .rate = 3 * kMicrosPerUnit,
                            .pacing = "asap"});
    return buy;
  }

  std::vector<RecordedRequest> Soaps(const std::string& method) {
    std::vector<RecordedRequest> out;
    for (const auto& r : server_.requests())
      if (r.target.starts_with("/apis/") && Method(r) == method)
        out.push_back(r);
    return out;
  }

  std::vector<RecordedRequest> TokenRequests() {
    std::vector<RecordedRequest> out;
    for (const auto& r : server_.requests())
      if (r.target == "/token") out.push_back(r);
    return out;
  }

  absl::Time now_ = absl::FromUnixSeconds(1768435200);  // 2026-01-15
  FakeAdServer server_;
  std::pair<std::string, std::string> keys_;
  std::string service_account_;
  AdapterDeps deps_;
  AdapterFactory factory_;
};

}  // namespace adcp::media_buy::gam_test
