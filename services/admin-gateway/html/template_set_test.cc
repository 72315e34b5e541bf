#include "services/admin-gateway/html/template_set.h"

#include <gtest/gtest.h>

namespace adcp::admin_gateway::html {
namespace {

constexpr char kHostile[] = R"(<script>alert("x") & 'y'</script>)";

std::unique_ptr<TemplateSet> LoadOrDie(
    std::span<const TemplateSource> sources) {
  auto set = TemplateSet::Load(sources);
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *std::move(set) : nullptr;
}

TEST(TemplateSetTest, EscapesEveryValueForItsPlace) {
  const TemplateSource sources[] = {
      {"page.tpl",
       "{{%AUTOESCAPE context=\"HTML\"}}\n"
       "<title>{{TEXT}}</title>\n"
       "  <input value=\"{{TEXT}}\">\n"
       "<a href=\"{{URL}}\">start</a><a href=\"/t/{{TEXT}}\">inside</a>\n"
       "<style>:root{--brand:{{COLOR}}}</style>\n"
       "<textarea>{{TEXT:pre_escape}}</textarea>"}};
  const auto set = LoadOrDie(sources);
  ASSERT_NE(set, nullptr);
  Dictionary dictionary("page");
  dictionary.SetValue("TEXT", std::string(kHostile) + "\nline two");
  dictionary.SetValue("URL", "javascript:alert(1)");
  dictionary.SetValue("COLOR", "red}body{display:none");
  const std::string escaped =
      "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;";
  EXPECT_EQ(set->Render("page.tpl", dictionary),
            "<title>" + escaped + " line two</title>" +  //
                "<input value=\"" + escaped + " line two\">" +
                "<a href=\"#\">start</a><a href=\"/t/" + escaped +
                " line two\">inside</a>" +
                "<style>:root{--brand:redbodydisplaynone}</style>" +
                "<textarea>" + escaped + "\nline two</textarea>");
}

TEST(TemplateSetTest, SectionsSeeTheirParentIncludesDoNot) {
  const TemplateSource sources[] = {
      {"outer.tpl",
       "{{%AUTOESCAPE context=\"HTML\"}}\n"
       "<p>{{#ROW}}[{{NAME}} {{OWNER}}]{{/ROW}}</p>{{>INNER}}"},
      {"inner.tpl",
       "{{%AUTOESCAPE context=\"HTML\"}}\n<i>{{OWNER}}{{NAME}}</i>"}};
  const auto set = LoadOrDie(sources);
  ASSERT_NE(set, nullptr);
  Dictionary dictionary("outer");
  dictionary.SetValue("OWNER", "o&o");
  for (const char* name : {"a<", "b>"})
    dictionary.AddSectionDictionary("ROW")->SetValue("NAME", name);
  Include(dictionary, "INNER", "inner.tpl")->SetValue("NAME", "'i'");
  EXPECT_EQ(set->Render("outer.tpl", dictionary),
            "<p>[a&lt; o&amp;o][b&gt; o&amp;o]</p><i>&#39;i&#39;</i>");
}

TEST(TemplateSetTest, RefusesATemplateThatWouldNotEscape) {
  const TemplateSource unescaped[] = {{"raw.tpl", "<p>{{TEXT}}</p>"}};
  const auto set = TemplateSet::Load(unescaped);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("raw.tpl"), std::string::npos);

  const TemplateSource twice[] = {
      {"a.tpl", "{{%AUTOESCAPE context=\"HTML\"}}\n<p>1</p>"},
      {"a.tpl", "{{%AUTOESCAPE context=\"HTML\"}}\n<p>2</p>"}};
  EXPECT_FALSE(TemplateSet::Load(twice).ok());
  const TemplateSource broken[] = {
      {"b.tpl", "{{%AUTOESCAPE context=\"HTML\"}}\n<p>{{#OPEN}}</p>"}};
  EXPECT_FALSE(TemplateSet::Load(broken).ok());
}

TEST(TemplateSetTest, AnUnknownTemplateRendersNothing) {
  const TemplateSource sources[] = {
      {"a.tpl", "{{%AUTOESCAPE context=\"HTML\"}}\n<p>a</p>"}};
  const auto set = LoadOrDie(sources);
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->Render("missing.tpl", Dictionary("x")), "");
}

}  // namespace
}  // namespace adcp::admin_gateway::html
