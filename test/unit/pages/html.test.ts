import { describe, expect, it } from "vitest";
import { escapeHtml, Html, html, joinHtml } from "../../../src/pages/html.js";

describe("html tag", () => {
  it("escapes interpolated text so markup in values renders as text", () => {
    const out = html`<pre>${"<script>alert(1)</script>"}</pre>`.toString();
    expect(out).toBe("<pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre>");
  });

  it("escapes quotes so a value cannot leave its attribute", () => {
    const out = html`<a title="${`x" onmouseover="alert(1)`}">t</a>`.toString();
    expect(out).toBe('<a title="x&quot; onmouseover=&quot;alert(1)">t</a>');
    expect(html`<a title='${"it's"}'>t</a>`.toString()).toBe("<a title='it&#39;s'>t</a>");
  });

  it("keeps nested Html as markup and flattens arrays", () => {
    const items = ["a&b", "<c>"].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>`.toString()).toBe("<ul><li>a&amp;b</li><li>&lt;c&gt;</li></ul>");
    expect(joinHtml([html`<b>1</b>`, html`<b>2</b>`], html`, `).toString()).toBe("<b>1</b>, <b>2</b>");
  });

  it("renders null, undefined and false as nothing, numbers as text", () => {
    expect(html`[${null}${undefined}${false}${0}]`.toString()).toBe("[0]");
  });

  it("refuses to make Html from a plain string or a fake template", () => {
    const forge = Html as unknown as new (key: symbol, text: string) => Html;
    expect(() => new forge(Symbol("html"), "<script>")).toThrow(TypeError);
    const fake = Object.assign(["<b>", "</b>"], { raw: ["<b>", "</b>"] });
    expect(() => html(fake as unknown as TemplateStringsArray, "x")).toThrow(TypeError);
  });

  it("refuses values in unquoted attributes, event handlers, scripts and styles", () => {
    expect(() => html`<a title=${"x"}>`).toThrow(/quote the attribute/);
    expect(() => html`<a onclick="${"x"}">`).toThrow(/event handlers/);
    expect(() => html`<script>${"x"}</script>`).toThrow(/script/);
    expect(() => html`<style>${"x"}</style>`).toThrow(/style/);
  });

  it("neutralises javascript: URLs in href but keeps relative and https links", () => {
    expect(html`<a href="${"javascript:alert(1)"}">x</a>`.toString()).toBe('<a href="#unsafe-url">x</a>');
    expect(html`<a href="${"JaVaScRiPt:alert(1)"}">x</a>`.toString()).toContain("#unsafe-url");
    expect(html`<a href="${"//evil.example/x"}">x</a>`.toString()).toContain("#unsafe-url");
    expect(html`<a href="${"run/logs/a/guest?sig=x&y"}">x</a>`.toString()).toBe(
      '<a href="run/logs/a/guest?sig=x&amp;y">x</a>',
    );
    expect(html`<a href="${"https://github.com/o/r"}">x</a>`.toString()).toContain("https://github.com/o/r");
  });

  it("escapeHtml escapes the five significant characters and leaves others alone", () => {
    expect(escapeHtml(`&<>"'ü`)).toBe("&amp;&lt;&gt;&quot;&#39;ü");
    expect(escapeHtml("plain")).toBe("plain");
  });
});

describe("html tag contexts", () => {
  it("allows values after static text inside a quoted attribute", () => {
    expect(html`<a href="../runs/${"r1"}?sig=${"a&b"}">x</a>`.toString()).toBe(
      '<a href="../runs/r1?sig=a&amp;b">x</a>',
    );
  });

  it("accepts only html fragments between attributes, where a string could add an event handler", () => {
    expect(html`<details${html` open`}>`.toString()).toBe("<details open>");
    expect(html`<details${""}>`.toString()).toBe("<details>");
    expect(() => html`<details ${"onclick=alert(1)"}>`).toThrow(/inside a tag/);
  });

  it("checks the URL only where the value starts the attribute", () => {
    expect(html`<a href="#job-${"javascript:x"}">x</a>`.toString()).toBe('<a href="#job-javascript:x">x</a>');
  });
});
