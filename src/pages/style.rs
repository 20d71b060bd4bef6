//! The pages' one stylesheet, embedded in each page (nothing is fetched).

/// The CSS of the endpoint and operation pages: system fonts, a readable
/// measure, code that never wraps mid-word, tables with light rules.
pub const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#fff;--panel:#f6f8fa;--rule:#d0d7de;--link:#0a58ca}\
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--panel:#161b22;--rule:#30363d;--link:#58a6ff}}\
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:1.5rem 1.25rem 3rem;max-width:72rem}\
h1{font-size:1.6rem;margin:.2rem 0 .4rem}h2{font-size:1.15rem;margin:2rem 0 .6rem;border-bottom:1px solid var(--rule);padding-bottom:.25rem}\
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}\
.lead{color:var(--muted);margin:.2rem 0 1rem}\
code,pre,kbd{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}\
code{white-space:nowrap;background:var(--panel);border-radius:4px;padding:.05rem .3rem}\
pre{background:var(--panel);border:1px solid var(--rule);border-radius:6px;padding:.75rem 1rem;overflow-x:auto;white-space:pre}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}table.fit{width:auto;min-width:28rem}\
th,td{text-align:left;vertical-align:top;padding:.4rem .6rem;border-bottom:1px solid var(--rule)}\
th{font-weight:600;color:var(--muted);font-size:.85rem;text-transform:uppercase;letter-spacing:.03em}\
td.op{white-space:nowrap;font-weight:600}td.rest code{display:inline-block;margin:.05rem 0}\
form.invoke{background:var(--panel);border:1px solid var(--rule);border-radius:6px;padding:1rem;max-width:36rem}\
form.invoke label{display:block;margin:.4rem 0 .1rem;font-weight:600}\
form.invoke label small{font-weight:400;color:var(--muted)}\
form.invoke input,form.invoke select{width:100%;box-sizing:border-box;padding:.35rem .5rem;border:1px solid var(--rule);border-radius:4px;font:inherit;background:var(--bg);color:var(--fg)}\
button{margin-top:.8rem;padding:.4rem 1.1rem;border:0;border-radius:4px;background:#1f6feb;color:#fff;font:inherit;font-weight:600;cursor:pointer}\
.note{color:var(--muted);font-size:.9rem}\
nav{font-size:.9rem;margin-bottom:.5rem}\
";
