{{%AUTOESCAPE context="HTML"}}
{{! A form posted after its session ended. }}
<p>Your session has ended. <a href="/admin/login">Sign in</a></p>
