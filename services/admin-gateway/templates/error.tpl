{{%AUTOESCAPE context="HTML"}}
{{! A page that only reports an error: NOTICES. }}
{{>NOTICES}}
