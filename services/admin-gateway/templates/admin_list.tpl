{{%AUTOESCAPE context="HTML"}}
{{!
  The system admins and the form that creates one. CSRF; NOTICES; then
  either ADMINS_ERROR (a notices include) or ADMINS {ADMIN {ADMIN_ID, NAME,
  CREATED_AT, CREATED_BY, ENABLED | DISABLED {AT} }, once per admin }; the
  form's values shown again (never the password): FORM_ADMIN_ID, FORM_NAME;
  and at most one of ADMIN_ID_ERROR, NAME_ERROR, PASSWORD_ERROR {MESSAGE},
  auth's message naming the field as the REST API does.
}}
<h1>System admins</h1>
{{>NOTICES}}
{{>ADMINS_ERROR}}
{{#ADMINS}}
  <table id="admins">
    <tr><th>Id</th><th>Name</th><th>Created</th><th>Created by</th><th>Disabled</th></tr>
    {{#ADMIN}}
      <tr>
        <td><a href="/admin/admins/{{ADMIN_ID}}">{{ADMIN_ID}}</a></td>
        <td>{{NAME}}</td>
        <td>{{CREATED_AT}}</td>
        <td>{{CREATED_BY}}</td>
        <td>{{#ENABLED}}no{{/ENABLED}}{{#DISABLED}}{{AT}}{{/DISABLED}}</td>
      </tr>
    {{/ADMIN}}
  </table>
{{/ADMINS}}
<section>
  <h2>Create an admin</h2>
  <form method="post" action="/admin/admins" id="create-admin">
    <input type="hidden" name="_csrf" value="{{CSRF}}">
    <label>Admin id <input name="admin_id" value="{{FORM_ADMIN_ID}}" autocomplete="off"></label>
    {{#ADMIN_ID_ERROR}}<span class="field-error" id="admin_id-error">{{MESSAGE}}</span>{{/ADMIN_ID_ERROR}}
    <label>Name <input name="name" value="{{FORM_NAME}}" autocomplete="off"></label>
    {{#NAME_ERROR}}<span class="field-error" id="name-error">{{MESSAGE}}</span>{{/NAME_ERROR}}
    <label>Password <input name="password" type="password" autocomplete="new-password"></label>
    {{#PASSWORD_ERROR}}<span class="field-error" id="password-error">{{MESSAGE}}</span>{{/PASSWORD_ERROR}}
    <button>Create admin</button>
  </form>
</section>
