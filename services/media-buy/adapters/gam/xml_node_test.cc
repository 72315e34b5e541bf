#include "services/media-buy/adapters/gam/xml_node.h"

#include <gtest/gtest.h>

#include "services/media-buy/adapters/http_transport.h"

namespace adcp::media_buy {
namespace {

TEST(XmlNode, EscapesWhatItBuildsAndParsesItBack) {
  XmlNode order("orders");
  order.Add("name", "Q1 <launch> & \"more\" 'x'");
  order.Add("notes", "line\x01one");  // not XML: dropped
  order.Add("empty");
  order.Attr("xsi:type", "A&B");
  const std::string xml = order.Serialize();
  EXPECT_EQ(xml,
            "<orders xsi:type=\"A&amp;B\"><name>Q1 &lt;launch&gt; &amp; "
            "&quot;more&quot; &apos;x&apos;</name><notes>lineone</notes>"
            "<empty/></orders>");
  auto parsed = ParseXml(xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ChildText("name"), "Q1 <launch> & \"more\" 'x'");
  EXPECT_EQ(parsed->attributes[0].second, "A&B");
}

TEST(XmlNode, ParsesSoapAnswersByLocalName) {
  auto parsed = ParseXml(R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <ns2:getOrdersByStatementResponse xmlns:ns2="urn:x">
      <ns2:rval>
        <ns2:results><ns2:id>12</ns2:id><ns2:name><![CDATA[a <b> & c]]></ns2:name></ns2:results>
        <ns2:results><ns2:id>13</ns2:id><ns2:name>caf&#233; &#x263A;</ns2:name></ns2:results>
      </ns2:rval>
    </ns2:getOrdersByStatementResponse>
  </soap:Body>
</soap:Envelope>)");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const auto results = parsed->FindAll("results");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]->ChildText("id"), "12");
  EXPECT_EQ(results[0]->ChildText("name"), "a <b> & c");
  EXPECT_EQ(results[1]->ChildText("name"), "caf\xC3\xA9 \xE2\x98\xBA");
  EXPECT_TRUE(parsed->Find("rval")->text.empty());  // layout whitespace
}

TEST(XmlNode, RefusesMalformedDocuments) {
  for (const char* bad : {"", "<a>", "<a></b>", "<a x=1/>", "<a>&bogus;</a>",
                          "<a/><b/>", "<a><![CDATA[x</a>", "text"}) {
    EXPECT_FALSE(ParseXml(bad).ok()) << bad;
  }
}

TEST(ParseUrl, SplitsSchemeHostPortAndTarget) {
  auto plain = ParseUrl("http://127.0.0.1:8080/v1/flight?x=1");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, "8080");
  EXPECT_EQ(plain->target, "/v1/flight?x=1");
  auto tls = ParseUrl("https://api.kevel.co");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, "443");
  EXPECT_EQ(tls->target, "/");
  EXPECT_FALSE(ParseUrl("ftp://x/").ok());
  EXPECT_FALSE(ParseUrl("http://:80/").ok());
  EXPECT_FALSE(ParseUrl("http://host:http/").ok());
}

}  // namespace
}  // namespace adcp::media_buy
