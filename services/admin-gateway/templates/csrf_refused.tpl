{{%AUTOESCAPE context="HTML"}}
{{! A form posted without its session's CSRF token. }}
<p class="error">This form was not issued by this session (CSRF check failed).</p>
