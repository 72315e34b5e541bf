{{%AUTOESCAPE context="HTML"}}
{{!
  The notice and error boxes at the top of a page, each shown when filled:
  NOTICE {MESSAGE, and TOKEN {PRINCIPAL_ID, ACCESS_TOKEN} for a token just
  issued, shown this once}; ERROR {MESSAGE}.
}}
{{#NOTICE}}
  <div class="notice" id="notice">{{MESSAGE}}
  {{#TOKEN}} <b>{{PRINCIPAL_ID}}</b>. Its access token is shown once: <div class="token" id="token">{{ACCESS_TOKEN}}</div>{{/TOKEN}}
  </div>
{{/NOTICE}}
{{#ERROR}}<div class="error" id="error">{{MESSAGE}}</div>{{/ERROR}}
