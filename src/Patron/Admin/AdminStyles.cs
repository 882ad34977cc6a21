namespace Patron.Dashboard;

/// <summary>The dashboard's one stylesheet: readable on a phone, visible focus, AA contrast.</summary>
public static class AdminStyles
{
    public const string Css = """
        *{box-sizing:border-box}
        body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;color:#1b1f24;background:#f6f7f9}
        header{background:#1d3557;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
        header a{color:#fff}
        header .brand{font-weight:700;margin-right:1rem;text-decoration:none}
        nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem .75rem}
        nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
        header form{margin-left:auto}
        main{max-width:1100px;margin:0 auto;padding:1rem}
        h1{font-size:1.6rem;margin:.5rem 0 1rem}
        h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
        a{color:#0b5cad}
        :focus-visible{outline:3px solid #f4a100;outline-offset:2px}
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.75rem}
        .card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.75rem}
        .card .value{font-size:1.5rem;font-weight:700}
        .card .label{color:#424a53;font-size:.9rem}
        form.stack{display:grid;gap:.5rem;max-width:28rem;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:1rem;margin:.5rem 0}
        form.inline{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}
        label{font-weight:600;display:block}
        input,select,textarea{font:inherit;padding:.45rem .5rem;border:1px solid #6e7781;border-radius:4px;width:100%;min-height:2.5rem;background:#fff}
        form.inline input,form.inline select{width:auto}
        button{font:inherit;padding:.5rem 1rem;border:0;border-radius:4px;background:#0b5cad;color:#fff;min-height:2.5rem;cursor:pointer}
        button.secondary{background:#424a53}
        button.danger{background:#b42318}
        table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #d0d7de}
        th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
        th{background:#eef1f4}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        .table-wrap{overflow-x:auto}
        .alert{padding:.75rem 1rem;border-radius:4px;margin:.75rem 0}
        .alert.error{background:#ffebe9;border:1px solid #b42318;color:#82071e}
        .alert.notice{background:#dafbe1;border:1px solid #1a7f37;color:#044f1e}
        .secret{font-family:ui-monospace,monospace;background:#fff8c5;border:1px solid #9a6700;padding:.5rem;word-break:break-all}
        .badge{display:inline-block;padding:0 .4rem;border-radius:3px;background:#eef1f4;font-size:.85rem}
        .badge.blocked{background:#ffebe9;color:#82071e}
        .grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1rem}
        .chart{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.5rem}
        .chart svg{width:100%;height:auto}
        .pager{margin:.75rem 0}
        .visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
        .field-error{color:#82071e;font-weight:600}form.settings fieldset{border:1px solid #d0d7de;border-radius:4px;display:grid;gap:.5rem}
        @media (max-width:600px){main{padding:.5rem}h1{font-size:1.35rem}th,td{padding:.35rem}}
        """;
}
